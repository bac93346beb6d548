/** A real pipeline into a fresh embedded store: allowlist → exporter → chDB, views migrated. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { readonlySql } from '@agenttrace/query';
import { createTracerProvider } from '@agenttrace/sdk';

/** Opens a store in a temp directory and a provider writing into it. */
export async function storePipeline(serviceName: string) {
  const store: Store = createStore({
    path: mkdtempSync(join(tmpdir(), `agenttrace-${serviceName}-`)),
  });
  await migrate(store.client);
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 50 });
  const provider = createTracerProvider({ exporter, serviceName, scheduledDelayMillis: 50 });
  return {
    store,
    provider,
    /** Flushes spans into the store. */
    flush: async () => {
      await provider.forceFlush();
      await exporter.forceFlush();
    },
    /** Everything stored for this service, as one string, to search for leaks. */
    everything: async () =>
      JSON.stringify(await readonlySql(store.client, 'SELECT * FROM otel_traces')),
    close: async () => {
      await provider.shutdown();
      await store.close();
    },
  };
}
