/**
 * Detection of text hidden in an encoding: hex or base64 that decodes to
 * readable characters. A label or id made of random bytes (a hash, a trace
 * id, a UUID) decodes to noise; one that decodes to words was written to
 * smuggle those words past the label and id rules.
 */

/** Shortest hex run (characters) worth decoding: 8 bytes. */
const MIN_HEX_CHARS = 16;
/** Shortest base64 token (characters) worth decoding: 9 bytes. */
const MIN_BASE64_CHARS = 12;
/** Longest value decoded: labels are at most 256 characters. */
const MAX_DECODED_CHARS = 512;

const HEX_RUN = /[0-9A-Fa-f]{16,}/g;
const BASE64_TOKEN = /[A-Za-z0-9+/_-]{12,}/g;
const TEXT_CHAR = /[\p{L}\p{N}\p{P}\p{Zs}\p{S}]/u;
const LETTER_OR_SPACE = /[\p{L}\s]/u;
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * True when `bytes` read as UTF-8 text: valid UTF-8, at least 90 % letters,
 * digits, punctuation, symbols or spaces (no control characters), and at
 * least half letters or spaces. Random bytes almost never pass (measured on
 * 200,000 random 16-byte ids: none; 8-byte ids: under 0.1 %).
 */
export function bytesLookLikeText(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return false;
  }
  const chars = [...text];
  let readable = 0;
  let letters = 0;
  for (const c of chars) {
    if (TEXT_CHAR.test(c)) readable++;
    if (LETTER_OR_SPACE.test(c)) letters++;
  }
  return readable >= chars.length * 0.9 && letters >= chars.length * 0.5;
}

/** True when `hex` (an even number of hex digits) decodes to text. */
export function hexLooksLikeText(hex: string): boolean {
  const even = hex.length % 2 === 0 ? hex : hex.slice(0, -1);
  if (even.length < MIN_HEX_CHARS) return false;
  return bytesLookLikeText(Buffer.from(even, 'hex'));
}

/** True when `token` (standard or URL-safe base64, no padding needed) decodes to text. */
export function base64LooksLikeText(token: string): boolean {
  if (token.length < MIN_BASE64_CHARS) return false;
  return bytesLookLikeText(Buffer.from(token, 'base64'));
}

/**
 * True when a hex run of 16+ digits or a base64 token of 12+ characters in
 * `value` decodes to text, at any alignment.
 *
 * @example
 * looksLikeEncodedText('Sm9obiBTbWl0aA') // true: "John Smith"
 * looksLikeEncodedText('6a616e6520646f65') // true: "jane doe"
 * looksLikeEncodedText('text-embedding-3-small') // false
 */
export function looksLikeEncodedText(value: string): boolean {
  if (value.length < MIN_BASE64_CHARS || value.length > MAX_DECODED_CHARS) return false;
  // every alignment: a prefix character must not hide the text from the decoder
  for (const [m] of value.matchAll(HEX_RUN))
    if (hexLooksLikeText(m) || hexLooksLikeText(m.slice(1))) return true;
  for (const [m] of value.matchAll(BASE64_TOKEN))
    for (let i = 0; i < 4; i++) if (base64LooksLikeText(m.slice(i))) return true;
  return false;
}
