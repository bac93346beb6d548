/**
 * Decodes OTLP `KeyValue` / `AnyValue` from protobuf into OTel attribute
 * values. Values OTel attributes cannot hold (key-value lists, bytes, nested
 * or mixed arrays) are validated, then kept as `undefined` under their key:
 * the allowlist then counts the key as dropped without the value ever being
 * materialised.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { InvalidRequestError, InvalidSpanError, prefixField } from '../errors.js';
import type { DecodeLimits } from './limits.js';
import {
  expectEnd,
  expectWire,
  lengthEnd,
  readInt64,
  readString,
  skipField,
  type Reader,
} from './proto-reader.js';

/** Marks a value OTel attributes cannot represent. */
const COMPLEX_MARK: unique symbol = Symbol('complex');
type Scalar = string | number | boolean;
type Decoded = Scalar | Scalar[] | undefined | typeof COMPLEX_MARK;

const limitError = (field: string, problem: string) => new InvalidSpanError(field, problem);

/** Throws when nesting one level deeper than `depth` would pass `maxValueDepth`. */
function checkDepth(depth: number, L: DecodeLimits, field: string): void {
  if (depth >= L.maxValueDepth)
    throw new InvalidSpanError(field, `nests deeper than ${L.maxValueDepth} levels`);
}

function anyValue(r: Reader, end: number, depth: number, L: DecodeLimits): Decoded {
  let out: Decoded;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, 'stringValue');
        out = readString(r, end, 'stringValue', L.maxStringLength, limitError);
        break;
      case 2:
        expectWire(wire, 0, 'boolValue');
        out = r.bool();
        break;
      case 3:
        expectWire(wire, 0, 'intValue');
        out = readInt64(r);
        break;
      case 4:
        expectWire(wire, 1, 'doubleValue');
        out = r.double();
        break;
      case 5: {
        expectWire(wire, 2, 'arrayValue');
        checkDepth(depth, L, 'arrayValue');
        out = arrayValue(r, lengthEnd(r, end, 'arrayValue'), depth + 1, L);
        break;
      }
      case 6: {
        expectWire(wire, 2, 'kvlistValue');
        checkDepth(depth, L, 'kvlistValue');
        keyValueList(r, lengthEnd(r, end, 'kvlistValue'), depth + 1, L);
        out = COMPLEX_MARK;
        break;
      }
      case 7:
        expectWire(wire, 2, 'bytesValue');
        r.pos = lengthEnd(r, end, 'bytesValue');
        out = COMPLEX_MARK;
        break;
      default:
        skipField(r, wire, end, 'value');
    }
  }
  expectEnd(r, end, 'value');
  return out;
}

function arrayValue(r: Reader, end: number, depth: number, L: DecodeLimits): Decoded {
  const items: Scalar[] = [];
  let type: string | undefined;
  let complex = false;
  let count = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    if (tag >>> 3 !== 1) {
      skipField(r, wire, end, 'arrayValue');
      continue;
    }
    expectWire(wire, 2, 'arrayValue.values');
    if (++count > L.maxArrayLength)
      throw new InvalidSpanError('arrayValue', `has more than ${L.maxArrayLength} values`);
    let v: Decoded;
    try {
      v = anyValue(r, lengthEnd(r, end, 'arrayValue.values'), depth, L);
    } catch (err) {
      throw prefixField(err, `arrayValue.values[${count - 1}]`);
    }
    if (complex) continue;
    if (v === undefined || v === COMPLEX_MARK || Array.isArray(v)) complex = true;
    else if (type === undefined) type = typeof v;
    else if (type !== typeof v) complex = true;
    if (!complex) items.push(v as Scalar);
  }
  expectEnd(r, end, 'arrayValue');
  return complex ? COMPLEX_MARK : items;
}

function keyValueList(r: Reader, end: number, depth: number, L: DecodeLimits): void {
  let count = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    if (tag >>> 3 !== 1) {
      skipField(r, wire, end, 'kvlistValue');
      continue;
    }
    expectWire(wire, 2, 'kvlistValue.values');
    if (++count > L.maxArrayLength)
      throw new InvalidSpanError('kvlistValue', `has more than ${L.maxArrayLength} values`);
    try {
      keyValue(r, lengthEnd(r, end, 'kvlistValue.values'), depth, L, undefined);
    } catch (err) {
      throw prefixField(err, `kvlistValue.values[${count - 1}]`);
    }
  }
  expectEnd(r, end, 'kvlistValue');
}

/** Reads one `KeyValue`; sets it on `into` unless that is `undefined` (key-value lists are only validated). */
function keyValue(
  r: Reader,
  end: number,
  depth: number,
  L: DecodeLimits,
  into: Attributes | undefined,
): void {
  let key = '';
  let value: Decoded;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, 'key');
        key = readString(r, end, 'key', L.maxStringLength, limitError);
        break;
      case 2:
        expectWire(wire, 2, 'value');
        try {
          value = anyValue(r, lengthEnd(r, end, 'value'), depth, L);
        } catch (err) {
          throw prefixField(err, 'value');
        }
        break;
      default:
        skipField(r, wire, end, 'key');
    }
  }
  expectEnd(r, end, 'key');
  if (key === '') throw new InvalidSpanError('key', 'must not be empty');
  if (into) into[key] = value === COMPLEX_MARK ? undefined : (value as AttributeValue | undefined);
}

/**
 * Reads one `KeyValue` (the reader is at its length prefix) into `attrs`.
 * `count` is how many were read before; throws past `maxAttributes`.
 */
export function readAttribute(
  r: Reader,
  end: number,
  attrs: Attributes,
  count: number,
  L: DecodeLimits,
  field: string,
): void {
  if (count >= L.maxAttributes)
    throw new InvalidSpanError(field, `has more than ${L.maxAttributes} attributes`);
  try {
    keyValue(r, lengthEnd(r, end, field), 1, L, attrs);
  } catch (err) {
    throw prefixField(err, `${field}[${count}]`);
  }
}

/** For resource and scope attributes: a limit error fails the whole request. */
export function asRequestError(err: unknown): unknown {
  return err instanceof InvalidSpanError ? new InvalidRequestError(err.field, err.problem) : err;
}
