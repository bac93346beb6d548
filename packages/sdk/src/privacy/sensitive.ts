/**
 * Detection of values that look like personal data or secrets. A label that
 * matches the policy's pattern is still dropped when it looks like one of
 * these: the pattern says what a label may look like, this says what it must
 * never be. False positives only cost a label; false negatives would leak.
 */
import { looksLikeEncodedText } from './encoded-text.js';

/** The strict shape of a label: no spaces, no quotes, short. */
export const LABEL_PATTERN = /^[A-Za-z0-9_@][A-Za-z0-9_.:/@-]{0,127}$/;

/** The detectors {@link looksSensitive} applies, exported for generators of other enforcement points. */
export const SENSITIVE_PATTERNS: readonly RegExp[] = [
  // e-mail addresses, also as `user@host` without a dot-TLD
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+/,
  // long digit runs, with or without separators: phone, card, account, national id numbers
  /\d(?:[\s.-]?\d){8,}/,
  // local phone numbers such as 555-1234
  /(?:^|\D)\d{3}[.-]\d{4}(?:\D|$)/,
  // IPv4
  /(?:^|[^\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:[^\d.]|$)/,
  // IPv6 (three or more hex groups)
  /(?:^|[^0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?:[^0-9A-Fa-f:]|$)/,
  /(?:^|[^0-9A-Fa-f:])[0-9A-Fa-f]{0,4}::[0-9A-Fa-f]{1,4}/,
  // bearer / basic credentials
  /\b(?:bearer|basic)\b/i,
  // API key shapes: OpenAI/Anthropic sk-, xAI, GitHub, Slack, AWS, Google
  /\bsk-[A-Za-z0-9_-]{6,}/,
  /\bxai-[A-Za-z0-9_-]{6,}/,
  /\bgh[pousr]_[A-Za-z0-9]{10,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{6,}/,
  /\bAKIA[0-9A-Z]{12,}/,
  /\bAIza[0-9A-Za-z_-]{20,}/,
  // JWTs
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/,
  // long high-entropy runs: 24+ letters and digits mixed, no separator
  /(?=[A-Za-z0-9]{24,})(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{24,}/,
  // key=value and url-ish credentials
  /(?:password|passwd|secret|token|apikey|api_key)[=:]/i,
];

/**
 * True when the value looks like personal data or a secret and must be
 * dropped whatever the policy pattern says: one of {@link SENSITIVE_PATTERNS}
 * matches, or it holds text encoded in hex or base64.
 *
 * @example
 * looksSensitive('jane@example.com') // true
 * looksSensitive('gpt-4o-mini') // false
 */
export function looksSensitive(value: string): boolean {
  for (const pattern of SENSITIVE_PATTERNS) {
    if (pattern.test(value)) return true;
  }
  return looksLikeEncodedText(value);
}

/**
 * True for a value that may be stored as a label: it matches `pattern`
 * (by default {@link LABEL_PATTERN}), is at most `maxLength` long and does
 * not look sensitive.
 */
export function isSafeLabel(value: string, pattern: RegExp = LABEL_PATTERN, maxLength = 128) {
  return value.length <= maxLength && pattern.test(value) && !looksSensitive(value);
}
