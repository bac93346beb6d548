/** Read-only SQL for the CLI and the collector: the server refuses any write. */
import type { ClickHouseClient } from '@clickhouse/client';

/** Most rows one read-only query returns; the rest of the stream is discarded. */
export const READONLY_MAX_ROWS = 10_000;

/**
 * Runs `sql` with `readonly=1`, so ClickHouse itself refuses writes and
 * setting changes; at most `maxRows` rows come back.
 */
export async function readonlySql(
  client: ClickHouseClient,
  sql: string,
  maxRows = READONLY_MAX_ROWS,
): Promise<Record<string, unknown>[]> {
  const result = await client.query({
    query: sql,
    format: 'JSONEachRow',
    clickhouse_settings: { readonly: '1' },
  });
  const rows: Record<string, unknown>[] = [];
  const stream = result.stream<Record<string, unknown>>();
  for await (const batch of stream) {
    for (const row of batch) {
      if (rows.length >= maxRows) break;
      rows.push(row.json());
    }
    if (rows.length >= maxRows) {
      stream.destroy();
      break;
    }
  }
  return rows;
}
