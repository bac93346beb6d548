/**
 * The range of ClickHouse `DateTime64(9)`, the type of every time column of
 * `otel_traces` (`Timestamp`, `Events.Timestamp`), and its exact input text.
 *
 * Measured in the engine (chDB): the column holds Int64 nanoseconds since
 * the Unix epoch, so its last value is `9223372036.854775807` s
 * (2262-04-11 23:47:16.854775807 UTC); one nanosecond more fails the insert
 * with "Decimal math overflow". Its first value (1900-01-01) lies before the
 * epoch, where OTel times, unsigned nanoseconds, cannot go: for spans the
 * range is `0 ..= 9223372036.854775807` s.
 *
 * Input text: `<seconds>.<nine digits>`, read as a Unix time. Under
 * `date_time_input_format = 'best_effort'` (chDB's default) seconds of fewer
 * than nine digits are read as a day, month or year and the insert fails
 * (`1.000000000`: "unexpected number of decimal digits after day of month");
 * under `basic` they are read right. Seconds are zero-padded to ten digits,
 * which both read exactly for every time in the range (measured from 0 to
 * the last value), and the insert pins `basic` as well (`store-write.ts`).
 */
import type { HrTime } from '@opentelemetry/api';

/** Whole seconds of the last `DateTime64(9)` value. */
export const DATETIME64_MAX_SECONDS = 9_223_372_036;
/** Nanoseconds past {@link DATETIME64_MAX_SECONDS} of the last value. */
export const DATETIME64_MAX_SECOND_NANOS = 854_775_807;
/** The last `DateTime64(9)` value, in nanoseconds since the epoch (Int64 max). */
export const DATETIME64_MAX_NANOS = 9_223_372_036_854_775_807n;

/**
 * Prefix of the text written for a time the column cannot hold. The engine
 * refuses it (not a number), so the row is isolated by the writer's bisection
 * and goes to the dead letter, counted, instead of being clamped in silence.
 */
export const OUT_OF_RANGE_PREFIX = 'out of range: ';

/** True when `time` is a well-formed `HrTime` that `DateTime64(9)` holds. */
export function hrTimeInDateTime64Range(time: HrTime): boolean {
  const [seconds, nanos] = time;
  if (!Number.isInteger(seconds) || !Number.isInteger(nanos)) return false;
  if (seconds < 0 || nanos < 0 || nanos >= 1e9) return false;
  return (
    seconds < DATETIME64_MAX_SECONDS ||
    (seconds === DATETIME64_MAX_SECONDS && nanos <= DATETIME64_MAX_SECOND_NANOS)
  );
}

/**
 * `DateTime64(9)` input text of an `HrTime`: ten-digit Unix seconds and nine
 * fractional digits, e.g. `1700000000.000000123`, read exactly and
 * independently of the server time zone. A time out of range becomes
 * {@link OUT_OF_RANGE_PREFIX} and the value, which the engine refuses.
 *
 * @example
 * ```ts
 * hrTimeToDateTime64([1, 5]); // '0000000001.000000005'
 * ```
 */
export function hrTimeToDateTime64(time: HrTime): string {
  if (!hrTimeInDateTime64Range(time)) return `${OUT_OF_RANGE_PREFIX}[${time[0]}, ${time[1]}]`;
  const nanos = time[1];
  const seconds = time[0];
  return `${seconds >= 1_000_000_000 ? seconds : String(seconds).padStart(10, '0')}.${
    nanos >= 100_000_000 ? nanos : String(nanos).padStart(9, '0')
  }`;
}
