/**
 * Isolates the rows a store refuses. A batch whose insert failed for a reason
 * in its rows is split in halves, recursively, until every refused row stands
 * alone; every other row is stored on the way. Each half is inserted under
 * `${token}-0` / `${token}-1` of its parent's token, so a replay of the same
 * batch (same rows, same order, after a crash) splits the same way and the
 * store's deduplication drops the halves it already holds.
 *
 * For one refused row among `n` it takes at most `2·log2(n)` inserts: both
 * halves at each level, but a right half whose left sibling was stored is
 * known to hold the refused row and is split without being tried.
 */
import type { DeadRow } from './dead-letter.js';
import type { StoreWriteError } from './errors.js';

/**
 * ClickHouse errors raised by the content of a row (reading it, converting
 * it, checking it), by code. Only these are bisected: any other permanent
 * error (no table, no permission, read-only) would refuse every half too.
 */
export const ROW_ERROR_CLICKHOUSE_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [32, 'ATTEMPT_TO_READ_AFTER_EOF'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [190, 'SIZES_OF_ARRAYS_DONT_MATCH'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [407, 'DECIMAL_OVERFLOW'],
  [467, 'CANNOT_PARSE_BOOL'],
  [469, 'VIOLATED_CONSTRAINT'],
]);

/** True when `error` was raised by some row of the insert, so bisecting can isolate it. */
export function isRowError(error: StoreWriteError): boolean {
  return (
    !error.retryable &&
    error.clickhouseCode !== undefined &&
    ROW_ERROR_CLICKHOUSE_CODES.has(error.clickhouseCode)
  );
}

/** One insert of some rows, retries included. */
export type InsertOutcome =
  | { readonly kind: 'stored' }
  | { readonly kind: 'refused'; readonly error: StoreWriteError }
  | { readonly kind: 'gave-up'; readonly error: StoreWriteError; readonly attempts: number };

/** Inserts `lines` under `token`; never throws. */
export type InsertRows = (lines: readonly string[], token: string) => Promise<InsertOutcome>;

/** What bisecting one batch did. */
export interface BisectResult {
  /** Rows stored. */
  stored: number;
  /** Rows the store refused on their own. */
  readonly refused: DeadRow[];
  /** Rows not settled because retries of a transient failure ran out first. */
  unsettled: number;
  /** That transient failure, if any. */
  gaveUp: { readonly error: StoreWriteError; readonly attempts: number } | undefined;
  /** Inserts tried. */
  inserts: number;
}

/**
 * Bisects `lines`, whose insert under `token` was refused with `error`.
 *
 * @example
 * ```ts
 * const result = await bisect(batch.lines, batch.token, error, insertRows);
 * await deadLetter.add(result.refused);
 * ```
 */
export async function bisect(
  lines: readonly string[],
  token: string,
  error: StoreWriteError,
  insert: InsertRows,
): Promise<BisectResult> {
  const out: BisectResult = {
    stored: 0,
    refused: [],
    unsettled: 0,
    gaveUp: undefined,
    inserts: 0,
  };
  const [only] = lines;
  if (lines.length === 1 && only !== undefined) out.refused.push({ token, line: only, error });
  else if (lines.length > 1) await split(lines, token, insert, out);
  return out;
}

async function split(
  lines: readonly string[],
  token: string,
  insert: InsertRows,
  out: BisectResult,
): Promise<void> {
  const mid = Math.ceil(lines.length / 2);
  const halves = [lines.slice(0, mid), lines.slice(mid)];
  let leftStored = false;
  for (let i = 0; i < halves.length; i++) {
    const part = halves[i] ?? [];
    const partToken = `${token}-${i}`;
    if (out.gaveUp !== undefined) {
      out.unsettled += part.length;
      continue;
    }
    // The parent was refused and its left half stored: the right half would be refused too.
    // A single row is still tried: no row goes to the dead letter unless it was refused alone.
    if (i === 1 && leftStored && part.length > 1) {
      await split(part, partToken, insert, out);
      continue;
    }
    out.inserts++;
    const result = await insert(part, partToken);
    if (result.kind === 'stored') {
      out.stored += part.length;
      leftStored = i === 0;
    } else if (result.kind === 'gave-up') {
      out.gaveUp = { error: result.error, attempts: result.attempts };
      out.unsettled += part.length;
    } else if (part.length === 1) {
      out.refused.push({ token: partToken, line: part[0] ?? '', error: result.error });
    } else {
      await split(part, partToken, insert, out);
    }
  }
}
