/**
 * Keyed pseudonyms for session and end-user ids: HMAC-SHA-256 under a key the
 * user configures, so runs of one conversation group together while the id
 * itself never leaves the process. Without the key a pseudonym cannot be
 * linked back to its id, nor computed from a guessed id; with a new key the
 * same id yields a new, unlinkable pseudonym (how old sessions are erased).
 *
 * Format: six groups of eight lowercase letters, dot-separated
 * (`<key id>.<digest: 4 groups>.<tag>`, 53 characters), each letter one hex
 * nibble from the alphabet `ghjkmnpqrstvwxyz` (no digit, no vowel, no hex
 * letter). Hex would not do: our own rules refuse 24+ mixed letters and
 * digits as a secret and 9+ digit runs as a phone number. This alphabet
 * cannot form a digit run, a hex or base64 run long enough to decode, an
 * e-mail address or a word, so the value passes every label rule as it is.
 *
 * - key id: 4 bytes of HMAC(key, "agenttrace.key-id.v1"): names the key, tells nothing of it.
 * - digest: 16 bytes of HMAC(key, "agenttrace.pseudonym.v1\0" + kind + "\0" + id).
 * - tag: 4 bytes of HMAC(key, "agenttrace.tag.v1\0" + kind + "\0" + digest): proves that a
 *   key holder made the value, so a value shaped like a pseudonym but made
 *   without the key (a raw id, an unkeyed hash of an e-mail address) is
 *   hashed again instead of stored as it came.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What a pseudonym stands for; the two kinds of one raw id are unlinkable. */
export type PseudonymKind = 'session' | 'user';

/** Shortest key accepted, in bytes: HMAC-SHA-256's block of security. */
export const MIN_SESSION_KEY_BYTES = 32;
/** Distinct ids whose pseudonyms are remembered, per kind; the oldest goes first. */
const CACHE_MAX = 4_096;
/** Longer ids are hashed but not remembered, so the cache stays small. */
const CACHE_MAX_ID_LENGTH = 256;
const ALPHABET = 'ghjkmnpqrstvwxyz';
const GROUP = 8;
const KEY_ID_DOMAIN = 'agenttrace.key-id.v1';
const DIGEST_DOMAIN = 'agenttrace.pseudonym.v1\0';
const TAG_DOMAIN = 'agenttrace.tag.v1\0';
/** The shape of a pseudonym: six groups of eight letters of {@link ALPHABET}. */
export const PSEUDONYM_PATTERN = /^[ghjkmnpqrstvwxyz]{8}(?:\.[ghjkmnpqrstvwxyz]{8}){5}$/;

/** A key that cannot be used, with the reason; the key itself is never in the message. */
export class SessionKeyError extends TypeError {
  override readonly name = 'SessionKeyError';
  readonly code = 'invalid_session_key';
  constructor(message: string) {
    super(message);
  }
}

/** A session key as configured: text (UTF-8) or bytes. */
export type SessionKey = string | Uint8Array;

/** True when `value` has the shape of a pseudonym (not that it verifies under any key). */
export function isPseudonymShaped(value: string): boolean {
  return value.length === 53 && PSEUDONYM_PATTERN.test(value);
}

function toLetters(bytes: Uint8Array, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const b = bytes[i] ?? 0;
    out += ALPHABET[b >> 4]! + ALPHABET[b & 15]!;
  }
  return out;
}

function groups(letters: string): string {
  let out = letters.slice(0, GROUP);
  for (let i = GROUP; i < letters.length; i += GROUP) out += '.' + letters.slice(i, i + GROUP);
  return out;
}

/**
 * Turns raw session and user ids into pseudonyms under one key. Idempotent:
 * a value that is already this key's pseudonym of its kind comes back as it
 * is, so spans filtered by the SDK and again by the collector (same key)
 * keep the SDK's pseudonym; any other value, including another key's
 * pseudonym, is hashed.
 *
 * @example
 * const p = new SessionPseudonymizer(process.env.AGENTTRACE_SESSION_KEY!);
 * p.pseudonym('session', 'conv-42'); // 'xtkq….…' (53 characters)
 */
export class SessionPseudonymizer {
  /** The key's public name: the first group of every pseudonym it makes. */
  readonly keyId: string;
  /** Imported once: `createHmac` with a `KeyObject` skips re-reading the key bytes. */
  private readonly key: KeyObject;
  private readonly cache: Record<PseudonymKind, Map<string, string>> = {
    session: new Map(),
    user: new Map(),
  };

  /** Throws a {@link SessionKeyError} for a key shorter than {@link MIN_SESSION_KEY_BYTES}. */
  constructor(key: SessionKey) {
    if (typeof key !== 'string' && !(key instanceof Uint8Array))
      throw new SessionKeyError(`sessionKey must be a string or bytes (got ${typeof key})`);
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
    if (bytes.length < MIN_SESSION_KEY_BYTES)
      throw new SessionKeyError(
        `sessionKey must be at least ${MIN_SESSION_KEY_BYTES} bytes, e.g. \`openssl rand -base64 48\` (got ${bytes.length} bytes)`,
      );
    this.key = createSecretKey(bytes);
    this.keyId = toLetters(createHmac('sha256', bytes).update(KEY_ID_DOMAIN).digest(), 0, 4);
  }

  /** The pseudonym of `id` (a raw id, or a pseudonym, which stays itself when it is ours). */
  pseudonym(kind: PseudonymKind, id: string): string {
    const cache = this.cache[kind];
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    const value = this.verifies(kind, id) ? id : this.hash(kind, id);
    if (id.length <= CACHE_MAX_ID_LENGTH) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
      cache.set(id, value);
    }
    return value;
  }

  /** True when `value` is a pseudonym of `kind` made with this key. */
  verifies(kind: PseudonymKind, value: string): boolean {
    if (!isPseudonymShaped(value) || !value.startsWith(this.keyId)) return false;
    const letters = value.slice(GROUP + 1).replaceAll('.', '');
    const digest = fromLetters(letters.slice(0, 32));
    return letters.slice(32) === this.tag(kind, digest);
  }

  private hash(kind: PseudonymKind, id: string): string {
    const digest = createHmac('sha256', this.key)
      .update(DIGEST_DOMAIN + kind + '\0')
      .update(id, 'utf8')
      .digest()
      .subarray(0, 16);
    return groups(this.keyId + toLetters(digest, 0, 16) + this.tag(kind, digest));
  }

  private tag(kind: PseudonymKind, digest: Uint8Array): string {
    const mac = createHmac('sha256', this.key)
      .update(TAG_DOMAIN + kind + '\0')
      .update(digest)
      .digest();
    return toLetters(mac, 0, 4);
  }
}

function fromLetters(letters: string): Uint8Array {
  const out = new Uint8Array(letters.length >> 1);
  for (let i = 0; i < out.length; i++)
    out[i] = (ALPHABET.indexOf(letters[2 * i]!) << 4) | ALPHABET.indexOf(letters[2 * i + 1]!);
  return out;
}

/**
 * The key in a key file: its content with surrounding whitespace (a final
 * newline) removed. Refuses, with a {@link SessionKeyError} naming the path
 * (never the content), a file that cannot be read or holds a short key.
 */
export function readSessionKeyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SessionKeyError(
      `session key file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const key = text.trim();
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < MIN_SESSION_KEY_BYTES)
    throw new SessionKeyError(
      `session key file ${path} must hold a key of at least ${MIN_SESSION_KEY_BYTES} bytes (got ${bytes} bytes)`,
    );
  return key;
}
