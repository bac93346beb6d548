/**
 * Type checks for the OTLP JSON mapping and `KeyValue` / `AnyValue` decoding
 * into OTel attribute values. Values OTel attributes cannot hold (key-value
 * lists, bytes, nested or mixed arrays) are validated, then kept as
 * `undefined` under their key so the allowlist counts the key as dropped.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { InvalidRequestError, InvalidSpanError } from '../errors.js';
import type { DecodeLimits } from './limits.js';

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** `v` as an object, `undefined` for null/absent; throws for any other type. */
export function obj(v: unknown, field: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new InvalidRequestError(field, `must be an object (got ${typeName(v)})`);
  return v as JsonObject;
}

/** `v` as an array, empty for null/absent; throws for any other type. */
export function arr(v: unknown, field: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    throw new InvalidRequestError(field, `must be an array (got ${typeName(v)})`);
  return v;
}

/** `v` as a string of at most `max` characters, `''` for null/absent. */
export function str(v: unknown, field: string, max: number): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string')
    throw new InvalidRequestError(field, `must be a string (got ${typeName(v)})`);
  if (v.length > max) throw new InvalidSpanError(field, `is longer than ${max} characters`);
  return v;
}

const INTEGER = /^-?\d{1,20}$/;

/** An integer given as a JSON number or decimal string (64-bit fields), 0 for null/absent. */
export function int(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && INTEGER.test(v)) return Number(v);
  throw new InvalidRequestError(
    field,
    `must be an integer or a decimal string (got ${typeName(v)})`,
  );
}

/** An enum given as its number or its name (`names[i]` is the name of `i`). */
export function enumValue(v: unknown, names: readonly string[], field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
    throw new InvalidSpanError(field, `must be one of ${names.join(', ')} or its number`);
  }
  throw new InvalidRequestError(field, `must be a number or an enum name (got ${typeName(v)})`);
}

const HEX = /^[0-9a-fA-F]*$/;

/** An id as lowercase hex; OTLP JSON carries ids as hex, not base64. */
export function hexId(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string')
    throw new InvalidRequestError(field, `must be a hex string (got ${typeName(v)})`);
  if (v.length > 64 || !HEX.test(v))
    throw new InvalidSpanError(field, 'must be a hex string of 16 or 32 digits');
  return v.toLowerCase();
}

const COMPLEX: unique symbol = Symbol('complex');
type Scalar = string | number | boolean;
type Decoded = Scalar | Scalar[] | undefined | typeof COMPLEX;
const SPECIAL_DOUBLES: Record<string, number> = {
  NaN: NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
};

/** Throws when nesting one level deeper than `depth` would pass `maxValueDepth`. */
function checkDepth(depth: number, L: DecodeLimits, field: string): void {
  if (depth >= L.maxValueDepth)
    throw new InvalidSpanError(field, `nests deeper than ${L.maxValueDepth} levels`);
}

function anyValue(v: unknown, depth: number, L: DecodeLimits, field: string): Decoded {
  const o = obj(v, field);
  if (o === undefined) return undefined;
  if (o.stringValue !== undefined && o.stringValue !== null)
    return str(o.stringValue, `${field}.stringValue`, L.maxStringLength);
  if (o.boolValue !== undefined && o.boolValue !== null) {
    if (typeof o.boolValue !== 'boolean')
      throw new InvalidRequestError(
        `${field}.boolValue`,
        `must be a boolean (got ${typeName(o.boolValue)})`,
      );
    return o.boolValue;
  }
  if (o.intValue !== undefined && o.intValue !== null) return int(o.intValue, `${field}.intValue`);
  if (o.doubleValue !== undefined && o.doubleValue !== null) {
    const d = o.doubleValue;
    if (typeof d === 'number') return d;
    if (typeof d === 'string' && d in SPECIAL_DOUBLES) return SPECIAL_DOUBLES[d];
    throw new InvalidRequestError(`${field}.doubleValue`, `must be a number (got ${typeName(d)})`);
  }
  if (o.arrayValue !== undefined && o.arrayValue !== null) {
    checkDepth(depth, L, `${field}.arrayValue`);
    const a = obj(o.arrayValue, `${field}.arrayValue`);
    return arrayValue(
      arr(a?.values, `${field}.arrayValue.values`),
      depth + 1,
      L,
      `${field}.arrayValue.values`,
    );
  }
  if (o.kvlistValue !== undefined && o.kvlistValue !== null) {
    checkDepth(depth, L, `${field}.kvlistValue`);
    const kv = obj(o.kvlistValue, `${field}.kvlistValue`);
    const values = arr(kv?.values, `${field}.kvlistValue.values`);
    if (values.length > L.maxArrayLength)
      throw new InvalidSpanError(
        `${field}.kvlistValue.values`,
        `has more than ${L.maxArrayLength} values`,
      );
    values.forEach((item, i) => keyValue(item, depth + 1, L, `${field}.kvlistValue.values[${i}]`));
    return COMPLEX;
  }
  if (o.bytesValue !== undefined && o.bytesValue !== null) {
    str(o.bytesValue, `${field}.bytesValue`, Number.MAX_SAFE_INTEGER);
    return COMPLEX;
  }
  return undefined;
}

function arrayValue(
  values: readonly unknown[],
  depth: number,
  L: DecodeLimits,
  field: string,
): Decoded {
  if (values.length > L.maxArrayLength)
    throw new InvalidSpanError(field, `has more than ${L.maxArrayLength} values`);
  let type: string | undefined;
  let complex = false;
  const items: Scalar[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = anyValue(values[i], depth, L, `${field}[${i}]`);
    if (complex) continue;
    if (v === undefined || v === COMPLEX || Array.isArray(v)) complex = true;
    else if (type === undefined) type = typeof v;
    else if (type !== typeof v) complex = true;
    if (!complex) items.push(v as Scalar);
  }
  return complex ? COMPLEX : items;
}

function keyValue(
  v: unknown,
  depth: number,
  L: DecodeLimits,
  field: string,
): [string, AttributeValue | undefined] {
  const o = obj(v, field);
  const key = str(o?.key, `${field}.key`, L.maxStringLength);
  if (key === '') throw new InvalidSpanError(`${field}.key`, 'must not be empty');
  const value = anyValue(o?.value, depth, L, `${field}.value`);
  return [key, value === COMPLEX ? undefined : (value as AttributeValue | undefined)];
}

/** Decodes a JSON `repeated KeyValue` into attributes; at most `maxAttributes`. */
export function attributes(v: unknown, L: DecodeLimits, field: string): Attributes {
  const list = arr(v, field);
  if (list.length > L.maxAttributes)
    throw new InvalidSpanError(field, `has more than ${L.maxAttributes} attributes`);
  const out: Attributes = {};
  for (let i = 0; i < list.length; i++) {
    const [key, value] = keyValue(list[i], 1, L, `${field}[${i}]`);
    out[key] = value;
  }
  return out;
}
