/** One place that runs a parameterised SELECT and returns typed rows. */
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Runs `sql` with bound `params` (undefined ones dropped) and returns the rows.
 * `JSONEachRow` with 64-bit integers as numbers, so counts are plain numbers.
 */
export async function selectRows<T>(
  client: ClickHouseClient,
  sql: string,
  params: Record<string, unknown>,
  settings: Record<string, unknown> = {},
): Promise<T[]> {
  const query_params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) query_params[key] = value;
  const result = await client.query({
    query: sql,
    query_params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...settings },
  });
  return result.json<T>();
}
