/**
 * Test helpers around the real engine: one chDB directory per test file
 * (chDB allows one per process), a fresh database per test, row counts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../src/migrate.js';

/** A new temporary directory for this test file's chDB data. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `agenttrace-${prefix}-`));
}

/** A database name with a random suffix. */
export function randomDatabase(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/**
 * Creates a database with the traces table (through `migrate`) and makes sure
 * the table deduplicates retried inserts.
 */
export async function createTracesDatabase(
  client: ClickHouseClient,
  prefix?: string,
): Promise<string> {
  const database = randomDatabase(prefix);
  await migrate(client, { database });
  const rows = await (
    await client.query({
      query: `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'otel_traces'`,
      query_params: { db: database },
      format: 'JSONEachRow',
    })
  ).json<{ engine_full: string }>();
  if (!/non_replicated_deduplication_window/.test(rows[0]?.engine_full ?? '')) {
    // Until the schema carries it: without it, MergeTree ignores insert_deduplication_token.
    await client.command({
      query: `ALTER TABLE ${database}.otel_traces MODIFY SETTING non_replicated_deduplication_window = 1000`,
    });
  }
  return database;
}

/** Rows and distinct span ids in a database's traces table. */
export async function countSpans(
  client: ClickHouseClient,
  database: string,
): Promise<{ rows: number; distinct: number }> {
  const result = await client.query({
    query: `SELECT count() AS rows, uniqExact(SpanId) AS distinct FROM ${database}.otel_traces`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rows: string | number; distinct: string | number }>();
  return { rows: Number(row?.rows ?? 0), distinct: Number(row?.distinct ?? 0) };
}

/** All rows of the traces table, ordered by span name. */
export async function selectRows(
  client: ClickHouseClient,
  database: string,
): Promise<Record<string, unknown>[]> {
  const result = await client.query({
    query: `SELECT * FROM ${database}.otel_traces ORDER BY SpanName, SpanId`,
    format: 'JSONEachRow',
  });
  return result.json<Record<string, unknown>>();
}
