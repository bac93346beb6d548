/**
 * Numbers that could be personal data: a phone, card, account or national id
 * number written as a number instead of a string. The string detector's rule
 * (nine or more digits in a run) applied to numbers, to their integer part
 * and, where a key has no tight bounds, to all their significant digits.
 */

/** Integers at or above this have nine or more digits: a phone, card or id number. */
export const NINE_DIGITS = 100_000_000;
/** The largest count the default policy keeps (eight digits). */
export const MAX_COUNT = NINE_DIGITS - 1;
/** Significant digits a number may have under a key without tight bounds. */
export const DEFAULT_MAX_DIGITS = 8;

/** Significant decimal digits of a finite number as JavaScript prints it (`0.25` → 2, `1e21` → 1). */
export function significantDigits(n: number): number {
  const mantissa = Math.abs(n).toExponential().split('e')[0] ?? '';
  return mantissa.replace('.', '').replace(/0+$/, '').length || 1;
}

/**
 * True when a finite number may be personal data: its integer part has nine
 * or more digits, or it has more than `maxDigits` significant digits (a
 * phone number written as `0.4155550199`). Card numbers (13–19 digits) are
 * always caught by the first rule, so no Luhn check is needed on top.
 *
 * @example
 * looksSensitiveNumber(4155550199) // true
 * looksSensitiveNumber(1234) // false
 */
export function looksSensitiveNumber(n: number, maxDigits = DEFAULT_MAX_DIGITS): boolean {
  if (!Number.isFinite(n)) return true;
  if (Math.abs(n) >= NINE_DIGITS) return true;
  // below nine digits an integer is fine, and no double has more than 17 digits
  if (maxDigits >= 17 || Number.isInteger(n)) return false;
  return significantDigits(n) > maxDigits;
}
