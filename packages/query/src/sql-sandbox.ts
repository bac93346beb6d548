/**
 * The read-only SQL sandbox behind `agenttrace sql` and `POST /v1/sql`.
 *
 * A query is checked with the engine's own parser (see `sql-check.ts`): one
 * SELECT, no INTO OUTFILE, FORMAT or SETTINGS, no table function or scalar
 * function that reaches outside the store. It then runs with its limits in
 * its own `SETTINGS` clause, never as a session `SET` or as
 * `clickhouse_settings` (which chDB's connection turns into a session-wide
 * `SET`): the one embedded session is shared with ingest, and a read must
 * leave nothing behind on it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { checkReadOnlySelect } from './sql-check.js';
import { classifyQueryError } from './sql-sandbox-errors.js';

/** Limits of one sandboxed read; every field optional. */
export interface SqlSandboxOptions {
  /** Wall-clock limit of the query, in seconds. @default 10 */
  maxExecutionTimeSeconds?: number;
  /** Memory the query may use, in bytes. @default 1_073_741_824 (1 GiB) */
  maxMemoryBytes?: number;
  /** Rows the query may read from tables and table functions. @default 1_000_000_000 */
  maxRowsToRead?: number;
  /** Rows returned; more set `truncated`. @default 10_000 */
  maxResultRows?: number;
  /** Bytes of JSON rows returned; more set `truncated`. @default 16_777_216 (16 MiB) */
  maxResultBytes?: number;
}

/** Default limits, as documented on {@link SqlSandboxOptions}. */
export const SQL_SANDBOX_DEFAULTS = {
  maxExecutionTimeSeconds: 10,
  maxMemoryBytes: 1_073_741_824,
  maxRowsToRead: 1_000_000_000,
  maxResultRows: 10_000,
  maxResultBytes: 16_777_216,
} as const;

const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** Resolves {@link SqlSandboxOptions}; an invalid option throws naming it. */
const optionsSchema = z.object({
  maxExecutionTimeSeconds: z
    .number()
    .positive()
    .max(3_600)
    .default(SQL_SANDBOX_DEFAULTS.maxExecutionTimeSeconds),
  maxMemoryBytes: positiveInt(2 ** 40).default(SQL_SANDBOX_DEFAULTS.maxMemoryBytes),
  maxRowsToRead: positiveInt(Number.MAX_SAFE_INTEGER).default(SQL_SANDBOX_DEFAULTS.maxRowsToRead),
  maxResultRows: positiveInt(1_000_000).default(SQL_SANDBOX_DEFAULTS.maxResultRows),
  maxResultBytes: positiveInt(2 ** 30).default(SQL_SANDBOX_DEFAULTS.maxResultBytes),
});

type ResolvedOptions = z.output<typeof optionsSchema>;

/** Resolves sandbox options, throwing a `RangeError` that names a bad field. */
export function resolveSqlSandboxOptions(options: SqlSandboxOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  throw new RangeError(
    `${field} must be ${issue.message} (got ${JSON.stringify((options as Record<string, unknown>)[field])})`,
  );
}

/** Rows of a sandboxed read. */
export interface SqlResult {
  readonly rows: Record<string, unknown>[];
  /** True when the query had more rows (or bytes) than the limits return. */
  readonly truncated: boolean;
}

/**
 * The statement's own SETTINGS clause: limits for this query only.
 * `limit` caps the rows the top-level SELECT produces, so a big result is
 * never built; `max_result_rows`/`max_result_bytes` with `break` stop what
 * `limit` does not reach (each branch of a UNION gets its own `limit`).
 * `readonly` comes last so the settings before it still apply.
 */
export function sandboxSettings(o: ResolvedOptions): string {
  const rows = o.maxResultRows + 1;
  return [
    `max_execution_time = ${o.maxExecutionTimeSeconds}`,
    "timeout_overflow_mode = 'throw'",
    `max_memory_usage = ${o.maxMemoryBytes}`,
    `max_rows_to_read = ${o.maxRowsToRead}`,
    "read_overflow_mode = 'throw'",
    `limit = ${rows}`,
    `max_result_rows = ${rows}`,
    `max_result_bytes = ${o.maxResultBytes}`,
    "result_overflow_mode = 'break'",
    'readonly = 1',
  ].join(', ');
}

/**
 * Runs one read-only SELECT in the sandbox.
 *
 * Throws a `SqlRefusedError` for what the sandbox refuses, a
 * `SqlInvalidError` when the engine rejects the query, a `SqlLimitError`
 * when a limit is hit; any other error means the store failed.
 *
 * @example
 * const { rows, truncated } = await runReadOnlySql(client, 'SELECT count() AS n FROM agent_runs');
 */
export async function runReadOnlySql(
  client: ClickHouseClient,
  sql: string,
  options: SqlSandboxOptions = {},
): Promise<SqlResult> {
  const o = resolveSqlSandboxOptions(options);
  const statement = await checkReadOnlySelect(client, sql);
  let text: string;
  try {
    const result = await client.query({
      query: `${statement} SETTINGS ${sandboxSettings(o)}`,
      format: 'JSONEachRow',
    });
    text = await result.text();
  } catch (err) {
    throw classifyQueryError(err, o);
  }
  const rows: Record<string, unknown>[] = [];
  let bytes = 0;
  let truncated = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    bytes += Buffer.byteLength(line) + 1;
    if (rows.length >= o.maxResultRows || bytes > o.maxResultBytes) {
      truncated = true;
      break;
    }
    rows.push(JSON.parse(line) as Record<string, unknown>);
  }
  return { rows, truncated };
}

/**
 * The rows of {@link runReadOnlySql}, at most `maxRows` of them.
 *
 * @example
 * const rows = await readonlySql(client, 'SELECT * FROM otel_traces');
 */
export async function readonlySql(
  client: ClickHouseClient,
  sql: string,
  maxRows: number = SQL_SANDBOX_DEFAULTS.maxResultRows,
): Promise<Record<string, unknown>[]> {
  return (await runReadOnlySql(client, sql, { maxResultRows: maxRows })).rows;
}
