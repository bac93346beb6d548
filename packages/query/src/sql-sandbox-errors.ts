/**
 * Typed errors of the read-only SQL sandbox, and the normaliser that turns an
 * engine error raised by a user's query into one of them. A user's SQL can
 * only cause a refusal, an invalid query or a limit; anything else (the store
 * is down, a network error) is passed on untouched for the caller to answer
 * 502/503.
 */

/** What the sandbox refused, as a stable name (for messages, logs and tests). */
export type SqlRefusal =
  | 'statement'
  | 'multiple-statements'
  | 'into-outfile'
  | 'format'
  | 'settings'
  | 'table-function'
  | 'function';

/** Base class of every sandbox error: the user's query, not the store, is at fault. */
export abstract class SqlSandboxError extends Error {
  /** Stable error code. */
  abstract readonly code: string;
}

/** The query is not exactly one plain SELECT, or reaches outside the store. */
export class SqlRefusedError extends SqlSandboxError {
  override readonly name = 'SqlRefusedError';
  readonly code = 'SQL_REFUSED';
  constructor(
    /** What was refused. */
    readonly refused: SqlRefusal,
    /** The clause, statement or function name refused (`file`, `INTO OUTFILE`, `KILL`). */
    readonly subject: string,
    message: string,
  ) {
    super(message);
  }
}

/** The engine rejected the query itself: a syntax error, an unknown table or column, a type error. */
export class SqlInvalidError extends SqlSandboxError {
  override readonly name = 'SqlInvalidError';
  readonly code = 'SQL_INVALID';
  constructor(
    message: string,
    /** The engine's error type, e.g. `UNKNOWN_TABLE`, when there is one. */
    readonly engineType?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The query ran past one of the sandbox's limits (time, memory, rows read). */
export class SqlLimitError extends SqlSandboxError {
  override readonly name = 'SqlLimitError';
  readonly code = 'SQL_LIMIT_EXCEEDED';
  constructor(
    /** The option whose limit was hit, e.g. `maxExecutionTimeSeconds`. */
    readonly limit: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Engine error types that mean a limit of the sandbox was hit, with the option that sets it. */
const LIMIT_TYPES: Readonly<Record<string, string>> = {
  TIMEOUT_EXCEEDED: 'maxExecutionTimeSeconds',
  TOO_SLOW: 'maxExecutionTimeSeconds',
  TOO_MANY_ROWS: 'maxRowsToRead',
  TOO_MANY_BYTES: 'maxRowsToRead',
  TOO_MANY_ROWS_OR_BYTES: 'maxResultRows',
  MEMORY_LIMIT_EXCEEDED: 'maxMemoryBytes',
  QUERY_WAS_CANCELLED: 'maxExecutionTimeSeconds',
};

/**
 * Engine error types that say the store, not the query, is in trouble: the
 * caller answers these 502/503 like any error that is not the engine's.
 */
const OUTAGE_TYPES: ReadonlySet<string> = new Set([
  'NETWORK_ERROR',
  'SOCKET_TIMEOUT',
  'ALL_CONNECTION_TRIES_FAILED',
  'ALL_REPLICAS_ARE_STALE',
  'NO_REMOTE_SHARD_AVAILABLE',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'SERVER_OVERLOADED',
  'NOT_ENOUGH_SPACE',
  'CANNOT_ALLOCATE_MEMORY',
  'TABLE_IS_READ_ONLY',
  'KEEPER_EXCEPTION',
  'ABORTED',
  'DATABASE_ACCESS_DENIED',
  'AUTHENTICATION_FAILED',
  'REQUIRED_PASSWORD',
]);

/** An error the engine raised, as clickhouse-js (server or chDB) shapes it. */
interface EngineError extends Error {
  readonly code: string;
  readonly type?: string;
}

/**
 * Whether `err` came from the engine (a numeric `code`, as both clickhouse-js
 * and chDB's connection set it), not from the network or the client. Duck
 * typed: chDB bundles its own copy of `@clickhouse/client-common`.
 */
export function isEngineError(err: unknown): err is EngineError {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^\d+$/.test(code);
}

/** The first line of an engine message, without the echo of the wrapping query, capped. */
export function engineMessage(err: Error): string {
  const first = err.message.split('\n')[0] ?? '';
  return (
    first
      .replace(/\s*:?\s*In scope SELECT formatQuerySingleLine\(.*$/, '')
      // the sandbox's own SETTINGS clause, echoed back in "in scope …"
      .replace(/ SETTINGS max_execution_time = .*?readonly = 1/g, '')
      .replace(/[.\s]+$/, '')
      .slice(0, 400)
  );
}

/**
 * Turns an error thrown while running a user's query into a sandbox error,
 * or returns it unchanged when the store, not the query, failed.
 */
export function classifyQueryError(
  err: unknown,
  limits: Readonly<Record<string, number>>,
): unknown {
  if (!isEngineError(err)) return err;
  const type = err.type ?? '';
  if (OUTAGE_TYPES.has(type)) return err;
  const limit = LIMIT_TYPES[type];
  if (limit !== undefined)
    return new SqlLimitError(
      limit,
      `the query exceeded the sandbox limit ${limit} = ${limits[limit]}: ${engineMessage(err)}`,
      { cause: err },
    );
  return new SqlInvalidError(`the query failed: ${engineMessage(err)}`, type || undefined, {
    cause: err,
  });
}
