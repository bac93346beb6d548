/**
 * Builds the collector: a Hono app with `POST /v1/traces`, `GET /health` and
 * `GET /metrics`, served by `@hono/node-server`, over the allowlist → queue →
 * exporter pipeline. Every route reads its body under a size limit, and the
 * HTTP server bounds how long a request may take to arrive.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { ExporterStats } from '@agenttrace/clickhouse-exporter';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier } from './auth.js';
import { handleTraces, type TracesContext } from './handle-traces.js';
import { CollectorMetrics } from './metrics.js';
import { resolveOptions, type CollectorOptions } from './options.js';
import { Pipeline } from './pipeline.js';
import { lingerOnClose } from './lingering-close.js';
import { markRequestStart } from './read-body.js';
import { routeBodyLimit } from './route-limits.js';

/**
 * Node's own `requestTimeout` fires this long after `requestTimeoutMs`: a
 * backstop for routes that read no body under a deadline, late enough that
 * `/v1/traces` answers its own OTLP-encoded 408 first.
 */
const SERVER_TIMEOUT_GRACE_MS = 1_000;
/** How often Node checks connections against `requestTimeout` (its default is 30 s). */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** The counters of an exporter that keeps them (the ClickHouse exporter's `stats`). */
function exporterStats(exporter: unknown): ExporterStats | undefined {
  const stats = (exporter as { stats?: unknown }).stats;
  return typeof stats === 'object' && stats !== null && 'storedSpans' in stats
    ? (stats as ExporterStats)
    : undefined;
}

/** A running or ready-to-run collector. */
export interface Collector {
  /**
   * The Hono app, to mount more routes (the query API) on the same server.
   * Add them before `listen` or the first request: Hono's router is built then.
   */
  readonly app: Hono;
  /** The Fetch-API handler: usable without `listen` (tests, other servers). */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Starts serving; resolves with the bound address (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** The HTTP server once listening. */
  readonly server: ServerType | undefined;
  /** Live counters. */
  readonly metrics: CollectorMetrics;
  /** The `/metrics` text, as served. */
  renderMetrics(): string;
  /** Waits until every accepted span was exported (or dropped after its attempts). */
  forceFlush(): Promise<void>;
  /**
   * Stops accepting (503), closes the server, flushes within
   * `exportTimeoutMs`, shuts the exporter down. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates a collector.
 *
 * @example
 * const collector = createCollector({ exporter: new ClickHouseSpanExporter(...), tokens: [token] });
 * await collector.listen(4318, '127.0.0.1');
 */
export function createCollector(options: CollectorOptions): Collector {
  const o = resolveOptions(options);
  const metrics = new CollectorMetrics();
  const pipeline = new Pipeline(o, metrics);
  const ctx: TracesContext = {
    options: o,
    metrics,
    pipeline,
    logger: o.logger,
    verify: createTokenVerifier(o.tokens),
    active: 0,
    closing: false,
  };
  const renderMetrics = () =>
    metrics.render({
      allowlist: () => pipeline.allowlistStats(),
      queueDepth: () => pipeline.size,
      queueCapacity: () => o.maxQueueSpans,
      tailBuffered: () => pipeline.buffered,
      downstreamBacklog: () => pipeline.downstream(),
      exporter: () => exporterStats(o.exporter),
    });

  const app = new Hono();
  app.use('*', async (c, next) => {
    markRequestStart(c.req.raw);
    await next();
    // A body refused unread: answer, then read a little of the rest before closing.
    const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket;
    if (socket && (c.res.status === 408 || c.res.status === 413)) lingerOnClose(socket);
  });
  app.use('*', routeBodyLimit(o.maxRouteBodyBytes));
  app.post('/v1/traces', async (c) => {
    const response = await handleTraces(c.req.raw, ctx);
    // Its body was not read to the end: close, so the rest of it is never read.
    if (response.status === 408 || response.status === 413)
      response.headers.set('connection', 'close');
    return response;
  });
  app.get('/health', (c) =>
    ctx.closing
      ? c.json({ status: 'closing' }, 503)
      : c.json({ status: 'ok', queue: pipeline.size }),
  );
  app.get('/metrics', (c) =>
    c.text(renderMetrics(), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  );
  app.notFound((c) => c.json({ code: 5, message: 'not found' }, 404));
  app.onError((err, c) => {
    // Middleware refusals (a body limit, a timeout) carry their own answer.
    if (err instanceof HTTPException) return err.getResponse();
    o.logger.error('unhandled error', { error: err.name });
    return c.json({ code: 13, message: 'internal error' }, 500);
  });

  let server: ServerType | undefined;
  let closed: Promise<void> | undefined;
  const fetch = async (request: Request) => app.fetch(request);

  return {
    app,
    fetch,
    get server() {
      return server;
    },
    metrics,
    renderMetrics,
    listen(port = 4318, host = '127.0.0.1') {
      return new Promise<AddressInfo>((resolve, reject) => {
        const serverOptions = {
          requestTimeout: o.requestTimeoutMs + SERVER_TIMEOUT_GRACE_MS,
          headersTimeout: o.bodyTimeoutMs,
          connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
        };
        const s = serve({ fetch: app.fetch, port, hostname: host, serverOptions }, (info) => {
          o.logger.info('collector listening', { host: info.address, port: info.port });
          resolve(info);
        });
        s.once('error', reject);
        server = s;
      });
    },
    forceFlush: () => pipeline.flush(),
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        const s = server;
        const serverClosed = s
          ? new Promise<void>((resolve) => s.close(() => resolve()))
          : Promise.resolve();
        await pipeline.shutdown(o.exportTimeoutMs);
        if (s && 'closeIdleConnections' in s) s.closeIdleConnections();
        await serverClosed;
        o.logger.info('collector closed', { exported: metrics.exported });
      })();
      return closed;
    },
  };
}
