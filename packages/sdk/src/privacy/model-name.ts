/**
 * Model names that carry a dated snapshot (`claude-sonnet-4-5-20250929`,
 * `gpt-4.1-2025-04-14`, `o3-2025-04-16`, Vertex `…@20241022`, Bedrock
 * `…-20241022-v2:0`). Their digits run past the phone-number detector's
 * nine, so the date is masked before the detectors run: only a real
 * calendar date from 2020 to 2039, standing between separators, is masked;
 * every other digit still counts, and at most two digits may stand right
 * before a date (`-4-5-20250929`), so a date cannot finish a longer number.
 */
import { isSafeLabel, LABEL_PATTERN, looksSensitive } from './sensitive.js';

/**
 * A snapshot date: `YYYYMMDD` or `YYYY-MM-DD`, years 2020–2039 (no birth
 * date of an adult), after a separator and not followed by more digits.
 */
const SNAPSHOT_DATE =
  /(?<=[-@_.])20[23]\d(-?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])(?=$|[-@_.:/][^\d]|[^\d.:/@_-])/g;

/** What a date is replaced by: a character no label contains, so it joins no digit or letter run. */
const MASK = '~';
/** Three or more digits right before a date: with it they could spell a longer number. */
const DIGITS_BEFORE_MASK = /\d(?:[.-]?\d){2,}[-@_.]~/;

/** `value` with each snapshot date replaced by `~`. */
export function maskSnapshotDates(value: string): string {
  return value.replace(SNAPSHOT_DATE, MASK);
}

/**
 * True for a model name that may be stored: a safe label once its snapshot
 * dates are masked, and a safe pattern match as given. Same signature as
 * `isSafeLabel`, so rules can use either.
 *
 * @example
 * isSafeModelName('claude-sonnet-4-5-20250929') // true
 * isSafeModelName('gpt-4o-4155550199') // false
 */
export function isSafeModelName(value: string, pattern: RegExp = LABEL_PATTERN, maxLength = 128) {
  if (value.length > maxLength || !pattern.test(value)) return false;
  const masked = maskSnapshotDates(value);
  if (masked === value) return isSafeLabel(value, pattern, maxLength);
  return !DIGITS_BEFORE_MASK.test(masked) && !looksSensitive(masked);
}
