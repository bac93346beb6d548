/**
 * Opens the real ClickHouse engine (chDB) for a test file. chDB allows one
 * data directory per process and vitest forks a process per file, so each
 * file gets one temp path and each test its own database inside it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/** A fresh temp directory for one test file's chDB data. */
export function tempDataPath(prefix = 'agenttrace-schema-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Deletes a test file's chDB data once its client is closed. */
export function removeDataPath(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** A client on chDB at `path`. */
export function openClient(path: string): ClickHouseClient {
  // Cast: chdb bundles its own copy of @clickhouse/client-common's types.
  return createClient({ connection: createChdbConnection({ path }) as never });
}

/** A database name unique to one test. */
export function uniqueDatabase(prefix = 'at'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Runs a query and returns its rows, 64-bit integers as JSON numbers. */
export async function rows<T>(
  client: ClickHouseClient,
  query: string,
  params?: Record<string, unknown>,
): Promise<T[]> {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    ...(params ? { query_params: params } : {}),
  });
  return result.json<T>();
}
