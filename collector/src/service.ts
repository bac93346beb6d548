/**
 * The collector as a service: opens the store (embedded by default, a
 * server by URL), applies the migrations, writes accepted spans with the
 * ClickHouse exporter and serves the query API beside OTLP ingest.
 */
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import {
  ClickHouseSpanExporter,
  createStore,
  DEFAULT_EMBEDDED_PATH,
  DEFAULT_MAX_QUEUE_SIZE,
  DEFAULT_MAX_SPOOL_BYTES,
  migrate,
  type Store,
  type StoreOptions,
} from '@agenttrace/clickhouse-exporter';
import { publishAddress } from './address-file.js';
import { createTokenVerifier } from './auth.js';
import { createCollector, type Collector } from './create-collector.js';
import type { CollectorLogger } from './logger.js';
import type { CollectorOptions } from './options.js';
import { queryRoutes } from './query-routes.js';

/**
 * Spans in one export call of the service: requests that wait while the last
 * call is on disk go together, so one spool fsync covers them all.
 */
const EXPORT_BATCH = 8_192;
/** The spool's folder inside the embedded store's directory. */
export const EMBEDDED_SPOOL_FOLDER = 'agenttrace-spool';
/** The spool's folder for a ClickHouse server, relative to the working directory. */
export const DEFAULT_SERVER_SPOOL_DIR = '.agenttrace/collector-spool';

/** The collector's write-ahead spool. */
export interface CollectorSpoolOptions {
  /**
   * Directory of the spool; one collector per directory.
   * @default `<store path>/agenttrace-spool` for the embedded store, `.agenttrace/collector-spool` for a server
   */
  dir?: string;
  /** Most bytes on disk; past it requests are answered 503. @default 1_073_741_824 */
  maxBytes?: number;
}

/** Options of {@link startCollectorService}. */
export interface CollectorServiceOptions {
  /** Where spans are stored. @default the embedded store at ./.agenttrace/store */
  store?: StoreOptions;
  /** Bearer tokens for ingest and queries; none means no authentication. @default [] */
  tokens?: readonly string[];
  /** @default 4318 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  logger?: CollectorLogger;
  /**
   * The write-ahead spool: a request is answered 2xx only once its spans are
   * fsynced there, and what is in it is replayed on the next start. `false`
   * acknowledges from memory (a crash loses what is queued): for benchmarks.
   * @default {} (on, in its default directory)
   */
  spool?: CollectorSpoolOptions | false;
  /** Further collector options (limits, tail sampling, policy). */
  collector?: Omit<CollectorOptions, 'exporter' | 'tokens' | 'logger' | 'downstreamBacklog'>;
}

/** A running collector service. */
export interface CollectorService {
  readonly collector: Collector;
  readonly address: AddressInfo;
  /** Stops serving, flushes spans to the store and closes it. Idempotent. */
  close(): Promise<void>;
}

/** Span ids asked about per query by {@link storedSpans}. */
const STORED_SPANS_CHUNK = 5_000;

/**
 * Which of `keys` (`traceId:spanId`) the store has, once the exporter's own
 * spool was replayed into it: kept spans a crash may have left unacknowledged
 * in the tail spool.
 */
async function storedSpans(
  store: Store,
  exporter: ClickHouseSpanExporter,
  keys: readonly string[],
): Promise<ReadonlySet<string>> {
  await exporter.forceFlush();
  const ids = [...new Set(keys.map((key) => key.slice(key.indexOf(':') + 1)))];
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += STORED_SPANS_CHUNK) {
    const result = await store.client.query({
      query: 'SELECT TraceId, SpanId FROM otel_traces WHERE SpanId IN {ids:Array(String)}',
      query_params: { ids: ids.slice(i, i + STORED_SPANS_CHUNK) },
      format: 'JSONEachRow',
    });
    for (const row of await result.json<{ TraceId: string; SpanId: string }>())
      found.add(`${row.TraceId}:${row.SpanId}`);
  }
  return found;
}

/** Starts the collector service; resolves once it listens. */
export async function startCollectorService(
  options: CollectorServiceOptions = {},
): Promise<CollectorService> {
  const store = createStore(options.store ?? {});
  try {
    await migrate(store.client, { database: store.database });
    const spool = options.spool ?? {};
    const spoolDir =
      spool === false
        ? undefined
        : (spool.dir ??
          (store.kind === 'embedded'
            ? join(resolve(options.store?.path ?? DEFAULT_EMBEDDED_PATH), EMBEDDED_SPOOL_FOLDER)
            : resolve(DEFAULT_SERVER_SPOOL_DIR)));
    if (spool === false)
      options.logger?.warn(
        'spool off: each request waits for its own insert into the store (no disk group commit)',
      );
    const exporter = new ClickHouseSpanExporter({
      store,
      spoolDir,
      maxSpoolBytes: spool === false ? undefined : (spool.maxBytes ?? DEFAULT_MAX_SPOOL_BYTES),
    });
    const tokens = options.tokens ?? [];
    const tail = options.collector?.tailSampling;
    const defaultSpoolDir =
      store.kind === 'embedded'
        ? join(resolve(options.store?.path ?? DEFAULT_EMBEDDED_PATH), EMBEDDED_SPOOL_FOLDER)
        : resolve(DEFAULT_SERVER_SPOOL_DIR);
    const collector = createCollector({
      ...options.collector,
      // Tail sampling keeps undecided spans on disk beside the exporter's spool.
      ...(tail && {
        tailSampling: { ...tail, spoolDir: tail.spoolDir ?? `${spoolDir ?? defaultSpoolDir}-tail` },
      }),
      exporter,
      tokens,
      logger: options.logger,
      // clients get 429 before the exporter's own queue could overflow
      maxExportBatchSize: options.collector?.maxExportBatchSize ?? EXPORT_BATCH,
      maxQueueSpans: Math.min(
        options.collector?.maxQueueSpans ?? 16_384,
        DEFAULT_MAX_QUEUE_SIZE - EXPORT_BATCH,
      ),
      downstreamBacklog: () => exporter.stats.queuedSpans,
      storedSpans: (keys) => storedSpans(store, exporter, keys),
    });
    collector.app.route('/v1', queryRoutes(store.readClient(), createTokenVerifier(tokens)));
    const address = await collector.listen(options.port ?? 4318, options.host ?? '127.0.0.1');
    const unpublish = publishAddress(options.store, address, options.logger);
    let closing: Promise<void> | undefined;
    return {
      collector,
      address,
      close: () =>
        (closing ??= (async () => {
          unpublish();
          await collector.close();
          await store.close();
        })()),
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
