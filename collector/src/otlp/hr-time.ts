/**
 * Conversions between OTLP's 64-bit Unix nanoseconds and OTel's `HrTime`
 * (`[seconds, nanoseconds]`), exact for every 64-bit value.
 */
import type { HrTime } from '@opentelemetry/api';

const TWO_POW_23 = 8_388_608;
/** 10^9 / 2^9: nanoseconds are split by 512 first so that every product stays exact. */
const NS_PER_S_OVER_512 = 1_953_125;

/**
 * `hi * 2^32 + lo` nanoseconds as `HrTime`. Plain float maths is exact while
 * `hi < 2^30` (until the year 2106+); beyond that BigInt takes over.
 */
export function hrTimeFromParts(lo: number, hi: number): HrTime {
  if (hi < 0x40000000) {
    const over512 = hi * TWO_POW_23 + Math.floor(lo / 512);
    const seconds = Math.floor(over512 / NS_PER_S_OVER_512);
    return [seconds, (over512 - seconds * NS_PER_S_OVER_512) * 512 + (lo % 512)];
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  return [Number(v / 1_000_000_000n), Number(v % 1_000_000_000n)];
}

const DIGITS = /^\d{1,20}$/;

/**
 * Parses the JSON form of a `fixed64` nanosecond time: a decimal string or a
 * number. Returns `undefined` when it is neither a non-negative integer nor
 * within 64 bits.
 */
export function hrTimeFromJson(value: unknown): HrTime | undefined {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return undefined;
    const seconds = Math.floor(value / 1e9);
    return [seconds, value - seconds * 1e9];
  }
  if (typeof value !== 'string' || !DIGITS.test(value)) return undefined;
  if (value.length <= 9) return [0, Number(value)];
  const seconds = Number(value.slice(0, -9));
  if (seconds > 18_446_744_073) return undefined;
  return [seconds, Number(value.slice(-9))];
}

/**
 * The last time the store holds: `DateTime64(9)` keeps Int64 nanoseconds, so
 * 2^63 - 1 ns, 2262-04-11T23:47:16.854775807Z (measured in the engine; one
 * nanosecond more fails the insert). OTLP times are unsigned, so the first
 * time, 0, is within the column's range (it starts in 1900).
 */
export const MAX_STORED_TIME_UNIX_NANO = 9_223_372_036_854_775_807n;
const MAX_STORED_SECONDS = 9_223_372_036;
const MAX_STORED_NANOS = 854_775_807;
/** {@link MAX_STORED_TIME_UNIX_NANO} as a date, for messages. */
export const MAX_STORED_TIME_ISO = '2262-04-11T23:47:16.854775807Z';

/** True when the store's `DateTime64(9)` columns hold `t`. */
export function hrTimeStorable(t: HrTime): boolean {
  return t[0] < MAX_STORED_SECONDS || (t[0] === MAX_STORED_SECONDS && t[1] <= MAX_STORED_NANOS);
}

/** `t` as decimal Unix nanoseconds, exactly (for messages). */
export function hrTimeToNanoString(t: HrTime): string {
  return (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
}

/** True when `a` is strictly before `b`. */
export function hrTimeBefore(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** `end - start`, for `ReadableSpan.duration`. */
export function hrTimeDiff(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}
