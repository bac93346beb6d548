/**
 * Bounds-checked helpers over protobufjs's minimal `Reader`: every length is
 * checked against the enclosing message's end, not only the buffer's, and
 * groups (wire types 3 and 4, deprecated) are refused instead of recursed into.
 */
import protobuf from 'protobufjs/minimal.js';
import { InvalidRequestError } from '../errors.js';

/** The protobufjs reader type. */
export type Reader = protobuf.Reader;

/**
 * Node's Buffer decoders without `toString`'s argument handling, which costs
 * more than the decoding itself for short keys and labels (measured in
 * bench/decode.ts). Present on every Buffer since Node 0.x.
 */
interface NodeBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}

/** A reader over `buf`; a `Buffer` view of it, so strings and hex decode natively. */
export function createReader(buf: Uint8Array): Reader {
  return protobuf.Reader.create(
    Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength),
  );
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group', 'group', 'fixed32'];

/** Throws unless the field came with the wire type its schema says. */
export function expectWire(actual: number, expected: number, field: string): void {
  if (actual !== expected)
    throw new InvalidRequestError(
      field,
      `must be ${WIRE_NAMES[expected]} (got wire type ${actual})`,
    );
}

/** Reads a length prefix and returns where the value ends, within `end`. */
export function lengthEnd(r: Reader, end: number, field: string): number {
  const len = r.uint32();
  const valueEnd = r.pos + len;
  if (valueEnd > end) throw new InvalidRequestError(field, 'is truncated');
  return valueEnd;
}

/** Throws unless the message ended exactly at `end`. */
export function expectEnd(r: Reader, end: number, field: string): void {
  if (r.pos !== end) throw new InvalidRequestError(field, 'is truncated');
}

/** Skips a field of an unknown number, as protobuf requires. */
export function skipField(r: Reader, wire: number, end: number, field: string): void {
  switch (wire) {
    case 0:
      r.skip();
      return;
    case 1:
      r.skip(8);
      return;
    case 2:
      r.pos = lengthEnd(r, end, field);
      return;
    case 5:
      r.skip(4);
      return;
    default:
      throw new InvalidRequestError(field, `has unsupported wire type ${wire}`);
  }
}

/** A UTF-8 string of at most `max` characters; longer ones throw `tooLong`. */
export function readString(
  r: Reader,
  end: number,
  field: string,
  max: number,
  tooLong: (field: string, problem: string) => Error,
): string {
  const valueEnd = lengthEnd(r, end, field);
  if (valueEnd - r.pos > max * 3) throw tooLong(field, `is longer than ${max} characters`);
  const s = (r.buf as NodeBuffer).utf8Slice(r.pos, valueEnd);
  r.pos = valueEnd;
  if (s.length > max) throw tooLong(field, `is longer than ${max} characters`);
  return s;
}

/**
 * An id as lowercase hex. Ids longer than 32 bytes are not materialised:
 * their hex would only be thrown away.
 */
export function readId(r: Reader, end: number, field: string): string {
  const valueEnd = lengthEnd(r, end, field);
  const len = valueEnd - r.pos;
  const hex = len > 32 ? 'x'.repeat(len * 2) : (r.buf as NodeBuffer).hexSlice(r.pos, valueEnd);
  r.pos = valueEnd;
  return hex;
}

const TWO_POW_32 = 4_294_967_296;

/** An `int64` varint as a number (exact within ±2^53; negative values included). */
export function readInt64(r: Reader): number {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  const buf = r.buf;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) throw new RangeError('index out of range');
    const b = buf[r.pos++] as number;
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else hi |= (b & 0x7f) << (shift - 32);
    shift += 7;
    if (b < 0x80) break;
  }
  lo >>>= 0;
  hi >>>= 0;
  if (hi & 0x80000000) return -((~hi >>> 0) * TWO_POW_32 + ((~lo >>> 0) + 1));
  return hi * TWO_POW_32 + lo;
}
