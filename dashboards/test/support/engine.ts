/**
 * The real ClickHouse engine for a test file: chDB in a temp directory
 * (one per process, as chDB allows), migrated with the exporter package's
 * `migrate`, in a database with a random suffix.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, migrate, type Store } from '@agenttrace/clickhouse-exporter';

/** A migrated store and the database the schema is in. */
export interface TestEngine {
  readonly store: Store;
  readonly database: string;
}

/** Opens chDB in a fresh temp directory and migrates a new database in it. */
export async function openEngine(): Promise<TestEngine> {
  const store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-dashboards-')) });
  const database = `dash_${randomBytes(6).toString('hex')}`;
  await migrate(store.client, { database });
  return { store, database };
}

/** Column names and types plus rows of a query, 64-bit integers as numbers. */
export interface QueryResult {
  meta: { name: string; type: string }[];
  data: unknown[][];
}

/** Runs `query` with `database` as the current database, as the data source's default database. */
export async function runQuery(engine: TestEngine, query: string): Promise<QueryResult> {
  const result = await engine.store.client.query({
    query,
    format: 'JSONCompact',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return result.json<unknown[]>() as unknown as Promise<QueryResult>;
}
