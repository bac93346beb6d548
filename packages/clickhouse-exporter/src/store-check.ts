/**
 * Checks that the traces table can deduplicate retried inserts. A
 * non-replicated MergeTree ignores `insert_deduplication_token` unless the
 * table has `non_replicated_deduplication_window` > 0 (a table setting; no
 * query-level equivalent exists), so without it a retry after a lost answer
 * may store a batch twice.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { withoutTracing } from './store-write.js';

/** What {@link checkDeduplication} found. */
export type DeduplicationCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'missing-table' }
  | { readonly kind: 'no-deduplication'; readonly engine: string };

/** Looks the table up in `system.tables`. Throws if the store cannot be asked. */
export async function checkDeduplication(
  client: ClickHouseClient,
  database: string,
  table: string,
): Promise<DeduplicationCheck> {
  const result = await withoutTracing(() =>
    client.query({
      query:
        'SELECT engine, engine_full FROM system.tables WHERE database = {database:String} AND name = {table:String}',
      query_params: { database, table },
      format: 'JSONEachRow',
    }),
  );
  const rows = await withoutTracing(() => result.json<{ engine: string; engine_full: string }>());
  const row = rows[0];
  if (row === undefined) return { kind: 'missing-table' };
  if (row.engine.startsWith('Replicated') || row.engine.startsWith('Shared')) return { kind: 'ok' };
  const window = /non_replicated_deduplication_window\s*=\s*(\d+)/.exec(row.engine_full);
  return window !== null && Number(window[1]) > 0
    ? { kind: 'ok' }
    : { kind: 'no-deduplication', engine: row.engine };
}
