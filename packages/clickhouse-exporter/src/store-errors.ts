/**
 * Turns whatever a store write threw or answered (a clickhouse-js
 * `ClickHouseError`, a chDB error, a Node socket error, an HTTP error answer)
 * into one {@link StoreWriteError} that says whether a retry may help.
 *
 * Only transient failures are retryable: network errors, HTTP 429/502/503/504
 * and the ClickHouse codes below. Everything else (bad SQL, unknown table,
 * type errors) fails the batch at once: retrying would store nothing.
 */
import { StoreWriteError } from './errors.js';

/** ClickHouse error codes that describe a passing condition, by name. */
export const RETRYABLE_CLICKHOUSE_CODES: ReadonlyMap<number, string> = new Map([
  [159, 'TIMEOUT_EXCEEDED'],
  [202, 'TOO_MANY_SIMULTANEOUS_QUERIES'],
  [209, 'SOCKET_TIMEOUT'],
  [210, 'NETWORK_ERROR'],
  [241, 'MEMORY_LIMIT_EXCEEDED'],
  [252, 'TOO_MANY_PARTS'],
]);

/** HTTP statuses worth retrying (otlp-exporter-base retries the same set). */
export const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Node socket error codes that mean "the other side was not reachable just now". */
const RETRYABLE_NODE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** Messages clickhouse-js and Node give for transport failures without a code. */
const RETRYABLE_MESSAGE = /timeout error|socket hang up|other side closed|network/i;

/** `Code: 252. DB::Exception: … (TOO_MANY_PARTS)`, as servers and chDB word errors. */
const SERVER_CODE = /Code: (\d+)\./;
const SERVER_TYPE = /\(([A-Z][A-Z0-9_]{2,})\)/;

function parseServerMessage(text: string): [code: string | undefined, type: string | undefined] {
  const code = SERVER_CODE.exec(text)?.[1];
  return [code, code === undefined ? undefined : SERVER_TYPE.exec(text)?.[1]];
}

/** What an HTTP error answer carried. */
export interface HttpErrorAnswer {
  readonly status: number;
  readonly body: string;
  /** `X-ClickHouse-Exception-Code` header. */
  readonly exceptionCode?: string | undefined;
  /** `Retry-After` header. */
  readonly retryAfter?: string | undefined;
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function codeOf(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Classifies an HTTP error answer from ClickHouse or a proxy in front of it. */
export function normalizeHttpError(answer: HttpErrorAnswer): StoreWriteError {
  const [parsedCode, parsedType] = parseServerMessage(answer.body);
  const clickhouseCode = codeOf(answer.exceptionCode) ?? codeOf(parsedCode);
  const clickhouseType =
    parsedType ??
    (clickhouseCode === undefined ? undefined : RETRYABLE_CLICKHOUSE_CODES.get(clickhouseCode));
  const retryable =
    RETRYABLE_HTTP_STATUSES.has(answer.status) ||
    (clickhouseCode !== undefined && RETRYABLE_CLICKHOUSE_CODES.has(clickhouseCode));
  const what =
    clickhouseCode === undefined ? `HTTP ${answer.status}` : `ClickHouse error ${clickhouseCode}`;
  return new StoreWriteError(`insert failed: ${what}: ${firstLine(answer.body) || '(no body)'}`, {
    retryable,
    clickhouseCode,
    clickhouseType,
    httpStatus: answer.status,
    retryAfterMs: parseRetryAfter(answer.retryAfter),
  });
}

/**
 * Classifies a thrown value from a store write. A `StoreWriteError` is
 * returned unchanged.
 *
 * @example
 * ```ts
 * const err = normalizeStoreError(caught);
 * if (err.retryable) scheduleRetry(err.retryAfterMs);
 * ```
 */
export function normalizeStoreError(error: unknown): StoreWriteError {
  if (error instanceof StoreWriteError) return error;
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  const message = error instanceof Error ? error.message : String(error);
  const nodeCode = typeof record['code'] === 'string' ? record['code'] : undefined;
  const [parsedCode, parsedType] = parseServerMessage(message);
  // clickhouse-js `ClickHouseError` and chDB errors carry the server code as a
  // numeric string in `code`; Node errors carry `E…` names there.
  const clickhouseCode =
    codeOf(record['clickhouseCode']) ??
    (nodeCode !== undefined && /^\d+$/.test(nodeCode) ? codeOf(nodeCode) : undefined) ??
    codeOf(parsedCode);
  const typeField = typeof record['type'] === 'string' ? record['type'] : undefined;
  const clickhouseType =
    typeField ??
    parsedType ??
    (clickhouseCode === undefined ? undefined : RETRYABLE_CLICKHOUSE_CODES.get(clickhouseCode));
  const transport =
    clickhouseCode === undefined &&
    ((nodeCode !== undefined && RETRYABLE_NODE_CODES.has(nodeCode)) ||
      RETRYABLE_MESSAGE.test(message));
  const retryable =
    transport || (clickhouseCode !== undefined && RETRYABLE_CLICKHOUSE_CODES.has(clickhouseCode));
  const what =
    clickhouseCode !== undefined
      ? `ClickHouse error ${clickhouseCode}${clickhouseType === undefined ? '' : ` (${clickhouseType})`}`
      : (nodeCode ?? 'error');
  return new StoreWriteError(
    `insert failed: ${what}: ${firstLine(message)}`,
    { retryable, clickhouseCode, clickhouseType },
    error,
  );
}
