/**
 * For `ingest.ts --exporter`: the ClickHouse exporter on a fresh embedded
 * store in a temp directory, migrated, as the collector service uses it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseSpanExporter, createStore, migrate } from '@agenttrace/clickhouse-exporter';

export default async function storeExporter(): Promise<ClickHouseSpanExporter> {
  const store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-ingest-bench-')) });
  await migrate(store.client);
  return new ClickHouseSpanExporter({ store });
}
