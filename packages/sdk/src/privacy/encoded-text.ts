/**
 * Detection of text hidden in an encoding: hex or base64 that decodes to
 * readable characters. A label or id made of random bytes (a hash, a trace
 * id, a UUID) decodes to noise; one that decodes to words was written to
 * smuggle those words past the label and id rules. Decoded bytes are read
 * as text units: an ASCII letter, digit, space or one of `.,@_+:/'-`, or a
 * whole UTF-8 sequence (accented letters); anything else is noise.
 */

/** Shortest hex run (characters) worth decoding: 8 bytes. */
const MIN_HEX_CHARS = 16;
/** Shortest base64 token (characters) worth decoding: 9 bytes. */
const MIN_BASE64_CHARS = 12;
/** Longest value decoded: labels are at most 256 characters. */
const MAX_DECODED_CHARS = 512;
/** A run of this many text units (five of them letters) in decoded bytes is text. */
const TEXT_RUN = 9;
/** Letters a run must hold to count, so digit runs of a hash do not. */
const TEXT_RUN_LETTERS = 5;

const HEX_RUN = /[0-9A-Fa-f]{16,}/g;
const BASE64_TOKEN = /[A-Za-z0-9+/_-]{12,}/g;

function isLetter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** Bytes that text in ids and labels is made of: letters, digits and ` .,@_+:/'-`. */
const TEXT_BYTES = new Uint8Array(256);
for (let b = 0; b < 256; b++)
  if (isLetter(b) || (b >= 0x30 && b <= 0x39) || " .,@_+:/'-".includes(String.fromCharCode(b)))
    TEXT_BYTES[b] = 1;

function isTextByte(b: number): boolean {
  return TEXT_BYTES[b] === 1;
}

/** Length of the valid UTF-8 multi-byte sequence at `i`, or 0. */
function utf8Sequence(bytes: Uint8Array, i: number): number {
  const b = bytes[i] ?? 0;
  const n =
    b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > bytes.length) return 0;
  for (let k = 1; k < n; k++) {
    const c = bytes[i + k] ?? 0;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return n;
}

/** Whether decoded bytes hold nine text units in a row with five letters. */
function hasTextRun(bytes: Uint8Array): boolean {
  let run = 0;
  let letters = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const seq = b >= 0x80 ? utf8Sequence(bytes, i) : 0;
    const width = seq > 0 ? seq : 1;
    if (seq > 0 || isTextByte(b)) {
      run++;
      if (seq > 0 || isLetter(b)) letters++;
      if (run >= TEXT_RUN && letters >= TEXT_RUN_LETTERS) return true;
    } else {
      run = 0;
      letters = 0;
    }
    i += width;
  }
  return false;
}

/** Text bytes in a row that make an id text, whatever the rest holds. */
const ID_TEXT_RUN = 10;

/** The value of one hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * True when an id's hex digits (16 or 32, dashes of a UUID skipped) decode
 * to text: all but two of 16 bytes are ASCII text (all of 8), or ten text
 * bytes stand in a row. Measured on 300,000 random UUIDs and 16- and
 * 32-digit ids each, twice: 0, 6–8 and 5–6 refused. Reads the string in place: it runs
 * once per run on the hot path.
 */
export function hexIdLooksLikeText(id: string): boolean {
  let bytes = 0;
  let text = 0;
  let run = 0;
  let high = -1;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 0x2d) continue;
    const v = hexValue(c);
    if (v < 0) return false;
    if (high < 0) {
      high = v;
      continue;
    }
    const b = high * 16 + v;
    high = -1;
    bytes++;
    if (isTextByte(b)) {
      text++;
      if (++run >= ID_TEXT_RUN) return true;
    } else {
      run = 0;
      // Neither rule can hold any more: over two non-text bytes, and fewer
      // digits left than a run of ten needs (an upper bound: dashes count).
      if (bytes - text > 2 && id.length - i - 1 < 2 * ID_TEXT_RUN) return false;
    }
  }
  if (bytes < MIN_HEX_CHARS / 2 || high >= 0) return false;
  return bytes - text <= (bytes > 8 ? 2 : 0);
}

function decodesToText(bytes: Uint8Array): boolean {
  return bytes.length >= TEXT_RUN && hasTextRun(bytes);
}

/**
 * True when a hex run of 16+ digits or a base64 token of 12+ characters in
 * `value` decodes to a run of text, at any alignment and whatever is
 * appended to it.
 *
 * @example
 * looksLikeEncodedText('Sm9obiBTbWl0aA') // true: "John Smith"
 * looksLikeEncodedText('6a616e652e646f65406d61696c') // true: "jane.doe@mail"
 * looksLikeEncodedText('text-embedding-3-small') // false
 */
export function looksLikeEncodedText(value: string): boolean {
  if (value.length < MIN_BASE64_CHARS || value.length > MAX_DECODED_CHARS) return false;
  for (const [m] of value.matchAll(HEX_RUN))
    for (let i = 0; i < 2; i++) {
      const even = m.slice(i, i + ((m.length - i) & ~1));
      if (decodesToText(Buffer.from(even, 'hex'))) return true;
    }
  for (const [m] of value.matchAll(BASE64_TOKEN))
    for (let i = 0; i < 4; i++) if (decodesToText(Buffer.from(m.slice(i), 'base64'))) return true;
  return false;
}
