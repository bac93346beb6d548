/**
 * Value formatting for `otel_traces` rows, following the contrib collector
 * exporter: attribute values become strings the way pdata's
 * `Value.AsString()` writes them (numbers as decimal text, booleans
 * `true`/`false`, arrays and maps as JSON, bytes as base64).
 */
import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';

/** `Map(String, String)` column value. */
export type StringMap = Record<string, string>;

/** Stringifies one attribute value as the Go exporter does; `undefined` for absent values. */
export function attributeValueToString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      // ES number-to-string is the format pdata uses for doubles.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    default:
      if (value === null) return undefined;
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      return JSON.stringify(value, (_key, v: unknown) =>
        typeof v === 'bigint'
          ? v.toString()
          : v instanceof Uint8Array
            ? Buffer.from(v).toString('base64')
            : v,
      );
  }
}

const EMPTY_MAP: StringMap = Object.freeze({});

/** Attributes as a `Map(String, String)` value; absent values are left out. */
export function attributesToMap(attributes: Attributes | undefined): StringMap {
  if (attributes === undefined) return EMPTY_MAP;
  let out: StringMap | undefined;
  for (const key in attributes) {
    const text = attributeValueToString(attributes[key]);
    if (text === undefined) continue;
    (out ??= {})[key] = text;
  }
  return out ?? EMPTY_MAP;
}

/** Nanoseconds in an `HrTime` duration, as a `UInt64` column value (never negative). */
export function hrTimeToNanos(duration: HrTime): number {
  const nanos = duration[0] * 1e9 + duration[1];
  return nanos > 0 ? nanos : 0;
}

/** `SpanKind` column text, as contrib `traceutil.SpanKindStr` writes it. */
export function spanKindToString(kind: SpanKind): string {
  switch (kind) {
    case SpanKind.INTERNAL:
      return 'Internal';
    case SpanKind.SERVER:
      return 'Server';
    case SpanKind.CLIENT:
      return 'Client';
    case SpanKind.PRODUCER:
      return 'Producer';
    case SpanKind.CONSUMER:
      return 'Consumer';
    default:
      return 'Unspecified';
  }
}

/** `StatusCode` column text, as contrib `traceutil.StatusCodeStr` writes it. */
export function statusCodeToString(code: SpanStatusCode): string {
  switch (code) {
    case SpanStatusCode.OK:
      return 'Ok';
    case SpanStatusCode.ERROR:
      return 'Error';
    default:
      return 'Unset';
  }
}
