/**
 * The two paths from an instrumented client to the store's views, over one
 * shared embedded store per test file (chDB binds one data directory per
 * process):
 * - "processor": the SDK's provider, whose allowlist processor cleans spans
 *   before the ClickHouse exporter writes them;
 * - "collector": a plain OTel provider with no agenttrace processor sends
 *   OTLP/protobuf to a real collector on 127.0.0.1 port 0, whose allowlist
 *   alone cleans the spans before its exporter writes them.
 * Each pipeline gets its own `service.name`, so a test finds its traces (and
 * the runs named after the service) among the others in the store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createCollector } from '@agenttrace/collector';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { readonlySql } from '@agenttrace/query';
import { createTracerProvider } from '@agenttrace/sdk';

const TOKEN = 'integrations-collector-token-0123456789';
/** How long an OTLP export to the collector may take (the exporter's default is 10 s). */
const OTLP_TIMEOUT_MS = 60_000;

/** Which path spans take into the store. */
export type PipelinePath = 'processor' | 'collector';

/** Both paths, for `describe.each`. */
export const PIPELINE_PATHS: readonly PipelinePath[] = ['processor', 'collector'];

/** A provider whose spans end up in the shared store. */
export interface Pipeline {
  readonly path: PipelinePath;
  readonly serviceName: string;
  /** Hand it to an instrumentation's `setTracerProvider`. */
  readonly provider: TracerProvider;
  /**
   * The collector's OTLP/HTTP traces endpoint and auth header (collector
   * path only), for an SDK that builds its own exporter (Traceloop's).
   */
  readonly otlp?: {
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly timeoutMillis: number;
  };
  /** Waits until every ended span is in the store. */
  flush(): Promise<void>;
  /** The ids of the traces stored under this pipeline's `service.name`, oldest first. */
  traceIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens the embedded store of a test file in a temp directory, views migrated. */
export async function openTestStore(name: string): Promise<Store> {
  const store = createStore({ path: mkdtempSync(join(tmpdir(), `agenttrace-${name}-`)) });
  await migrate(store.client);
  return store;
}

/** Everything in `otel_traces`, as one string, to search for leaks. */
export async function everythingStored(store: Store): Promise<string> {
  return JSON.stringify(await readonlySql(store.client, 'SELECT * FROM otel_traces'));
}

/** Rows of a parameterised query on the store (`{name:Type}` placeholders). */
export async function sqlRows<T>(
  store: Store,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** Opens a pipeline on `path` writing into `store` under `serviceName`. */
export async function openPipeline(
  store: Store,
  path: PipelinePath,
  serviceName: string,
): Promise<Pipeline> {
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 50 });
  const traceIds = async () =>
    (
      await sqlRows<{ trace_id: string }>(
        store,
        `SELECT lower(TraceId) AS trace_id FROM otel_traces
         WHERE ResourceAttributes['service.name'] = {service:String}
         GROUP BY trace_id ORDER BY min(Timestamp)`,
        { service: serviceName },
      )
    ).map((r) => r.trace_id);
  if (path === 'processor') {
    const provider = createTracerProvider({ exporter, serviceName, scheduledDelayMillis: 50 });
    return {
      path,
      serviceName,
      provider,
      flush: async () => {
        await provider.forceFlush();
        await exporter.forceFlush();
      },
      traceIds,
      close: () => provider.shutdown(),
    };
  }
  const collector = createCollector({ exporter, tokens: [TOKEN], exportDelayMs: 0 });
  const address = await collector.listen(0, '127.0.0.1');
  const otlp = {
    url: `http://127.0.0.1:${address.port}/v1/traces`,
    headers: { authorization: `Bearer ${TOKEN}` },
    // the collector acknowledges once the spans are in chDB, slow on a shared machine
    timeoutMillis: OTLP_TIMEOUT_MS,
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter(otlp))],
  });
  return {
    path,
    serviceName,
    provider,
    otlp,
    flush: async () => {
      await provider.forceFlush();
      await collector.forceFlush();
      await exporter.forceFlush();
    },
    traceIds,
    close: async () => {
      await provider.shutdown();
      await collector.close();
    },
  };
}
