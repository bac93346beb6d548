/**
 * Value rules of the privacy allowlist: each allowed key carries one, and a
 * value survives only if its rule accepts it. There is deliberately no rule
 * that accepts any string.
 */
import { isAcceptedId, rememberAcceptedId } from './accepted-ids.js';
import { hexIdLooksLikeText, looksLikeEncodedText } from './encoded-text.js';
import { isSafeModelName } from './model-name.js';
import { DEFAULT_MAX_DIGITS, looksSensitiveNumber, MAX_COUNT, NINE_DIGITS } from './numbers.js';
import { isSafeLabel, LABEL_PATTERN, SENSITIVE_PATTERNS } from './sensitive.js';

/** One of a fixed set of strings. */
export interface EnumRule {
  readonly kind: 'enum';
  readonly values: readonly string[];
}
/** A short identifier-like string matching a strict pattern, never personal data. */
export interface LabelRule {
  readonly kind: 'label';
  /** Must be anchored (`^…$`). @default LABEL_PATTERN */
  readonly pattern?: RegExp;
  /** @default 128 */
  readonly maxLength?: number;
  /**
   * Model names: a dated snapshot suffix (`-20250929`, `-2025-04-14`,
   * `@20241022`) is not taken for a phone number. Every other detector
   * still applies. @default false
   */
  readonly dates?: boolean;
}
/** A random identifier: a UUID or 16/32 hex digits that do not decode to text. */
export interface IdRule {
  readonly kind: 'id';
  /**
   * Also a provider's response or tool-call id ({@link PROVIDER_ID_PATTERN}):
   * refused when it decodes to text or holds what the label detectors look
   * for (digit runs, key shapes), the long-random-run detector aside, since
   * such an id is one. @default false
   */
  readonly provider?: boolean;
}
/** A finite number within bounds, whose integer part has at most eight digits. */
export interface NumberRule {
  readonly kind: 'number';
  readonly min?: number;
  readonly max?: number;
  /**
   * Most significant digits a value may have: more could be a phone number
   * written as a fraction. Raise it (up to 17) only for keys with tight
   * bounds, such as a temperature. @default 8
   */
  readonly maxDigits?: number;
}
/** A safe integer within bounds; never nine or more digits (a phone, card or id number). */
export interface IntegerRule {
  readonly kind: 'integer';
  /** @default 0 */
  readonly min?: number;
  /** @default 99_999_999 (eight digits) */
  readonly max?: number;
}
/** `true` or `false`. */
export interface BooleanRule {
  readonly kind: 'boolean';
}
/** An array whose every item satisfies `items`; at most `maxItems` long. */
export interface ArrayRule {
  readonly kind: 'array';
  readonly items: EnumRule | LabelRule | NumberRule | IntegerRule | BooleanRule;
  /** @default 16 */
  readonly maxItems?: number;
}

/** A value rule for one allowed key. */
export type AttributeRule =
  EnumRule | LabelRule | IdRule | NumberRule | IntegerRule | BooleanRule | ArrayRule;

/** A run id: a UUID or 16/32 hex digits (the rule also refuses hex that decodes to text). */
export const ID_PATTERN =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16}|[0-9a-f]{32})$/i;

/**
 * A provider's id of a response or tool call: an optional short lower-case
 * prefix and `_` or `-`, then 16–96 letters and digits
 * (`call_mszuSIzqtI65i1wAUOE8w5H4`, `toolu_01A09q90qw90lq917835lq9`,
 * `chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT`, `resp_…`, `msg_…`). No dot,
 * `@`, space or second separator: no e-mail address, name or sentence fits.
 * Shorter ids (Mistral's nine characters) are dropped.
 */
export const PROVIDER_ID_PATTERN = /^(?:[a-z]{1,12}[_-])?[A-Za-z0-9]{16,96}$/;

/**
 * A provider id is a long random run, which the label detectors take for a
 * secret: every other detector applies (digit runs, key shapes such as
 * `sk-…` or `AKIA…`). Found by behaviour, so a reordered list keeps working.
 */
const RANDOM_RUN_PROBE = 'Zq8Wm3Rt5Yx7Vb2Nc4Lk6Hj9';
const PROVIDER_ID_DETECTORS: readonly RegExp[] = SENSITIVE_PATTERNS.filter(
  (p) => !p.test(RANDOM_RUN_PROBE),
);

/** True for a provider's response or tool-call id that may be stored. */
export function isSafeProviderId(v: string): boolean {
  if (!PROVIDER_ID_PATTERN.test(v)) return false;
  for (const p of PROVIDER_ID_DETECTORS) if (p.test(v)) return false;
  return !looksLikeEncodedText(v);
}

/** Rule constructors, for readable policies. */
export const rule = {
  enum: (values: readonly string[]): EnumRule => ({ kind: 'enum', values }),
  label: (options: { pattern?: RegExp; maxLength?: number } = {}): LabelRule => ({
    kind: 'label',
    ...options,
  }),
  /** A model name: a label that may end in a dated snapshot (`claude-sonnet-4-5-20250929`). */
  model: (options: { maxLength?: number } = {}): LabelRule => ({
    kind: 'label',
    ...options,
    dates: true,
  }),
  id: (): IdRule => ({ kind: 'id' }),
  /** A run id, or a provider's response or tool-call id ({@link PROVIDER_ID_PATTERN}). */
  providerId: (): IdRule => ({ kind: 'id', provider: true }),
  number: (min?: number, max?: number, options: { maxDigits?: number } = {}): NumberRule => ({
    kind: 'number',
    min,
    max,
    ...options,
  }),
  integer: (min = 0, max = MAX_COUNT): IntegerRule => ({
    kind: 'integer',
    min,
    max,
  }),
  boolean: (): BooleanRule => ({ kind: 'boolean' }),
  array: (items: ArrayRule['items'], maxItems = 16): ArrayRule => ({
    kind: 'array',
    items,
    maxItems,
  }),
} as const;

/**
 * Throws when a rule is malformed, naming the key, what was expected and
 * what was given. Called once when a policy is built, never per span.
 */
export function assertValidRule(key: string, r: AttributeRule): void {
  const fail = (expected: string, got: unknown) => {
    throw new TypeError(`privacy rule for "${key}": ${expected} (got ${String(got)})`);
  };
  switch (r.kind) {
    case 'enum':
      if (!Array.isArray(r.values) || r.values.length === 0)
        fail('values must be a non-empty array', r.values);
      for (const v of r.values) if (!isSafeLabel(v)) fail('enum values must be safe labels', v);
      return;
    case 'label':
      if (r.pattern) {
        const src = r.pattern.source;
        if (!src.startsWith('^') || !src.endsWith('$'))
          fail('pattern must be anchored with ^ and $', r.pattern);
        if (r.pattern.flags.includes('g') || r.pattern.flags.includes('y'))
          fail('pattern must not use the g or y flag', r.pattern.flags);
      }
      if (
        r.maxLength !== undefined &&
        !(Number.isInteger(r.maxLength) && r.maxLength > 0 && r.maxLength <= 256)
      )
        fail('maxLength must be an integer in 1..256', r.maxLength);
      if (r.dates !== undefined && typeof r.dates !== 'boolean')
        fail('dates must be a boolean', r.dates);
      return;
    case 'array':
      if (r.maxItems !== undefined && !(Number.isInteger(r.maxItems) && r.maxItems > 0))
        fail('maxItems must be a positive integer', r.maxItems);
      assertValidRule(key, r.items);
      return;
    case 'number':
      if (
        r.maxDigits !== undefined &&
        !(Number.isInteger(r.maxDigits) && r.maxDigits >= 1 && r.maxDigits <= 17)
      )
        fail('maxDigits must be an integer in 1..17', r.maxDigits);
      return;
    case 'id':
      if (r.provider !== undefined && typeof r.provider !== 'boolean')
        fail('provider must be a boolean', r.provider);
      return;
    case 'integer':
    case 'boolean':
      return;
    default:
      fail(
        'kind must be enum, label, id, number, integer, boolean or array',
        (r as { kind: unknown }).kind,
      );
  }
}

/** Most accepted labels a compiled label rule remembers before it starts over. */
const ACCEPTED_LABELS_MAX = 4096;

/** A compiled rule: true when a value may be kept. Never throws. */
export type Check = (value: unknown) => boolean;

/**
 * Compiles a rule into a check with its own state (an accepted-labels cache
 * for label rules), so the per-attribute work on the hot path is one call.
 */
export function compileRule(r: AttributeRule): Check {
  switch (r.kind) {
    case 'enum': {
      const values = new Set(r.values);
      // the same value mostly repeats span after span: the last one accepted is compared first
      let last: string | undefined;
      return (v) => {
        if (typeof v !== 'string') return false;
        if (v === last) return true;
        if (!values.has(v)) return false;
        last = v;
        return true;
      };
    }
    case 'label': {
      const pattern = r.pattern ?? LABEL_PATTERN;
      const maxLength = r.maxLength ?? 128;
      const safe = r.dates === true ? isSafeModelName : isSafeLabel;
      const accepted = new Set<string>();
      // an agent's name, version, provider or model repeat span after span: the last one accepted is compared first
      let last: string | undefined;
      return (v) => {
        if (typeof v !== 'string') return false;
        if (v === last) return true;
        if (!accepted.has(v)) {
          if (!safe(v, pattern, maxLength)) return false;
          if (accepted.size >= ACCEPTED_LABELS_MAX) accepted.clear();
          accepted.add(v);
        }
        last = v;
        return true;
      };
    }
    case 'id': {
      // the steps of a run repeat its id, and runs interleave: ids accepted are remembered
      // (hex ids in the set every id rule shares, provider ids in this rule's own), and
      // a run's spans mostly end one after another: the last one accepted is checked first
      const providerIds = new Set<string>();
      const provider = r.provider === true;
      let last: string | undefined;
      return (v) => {
        if (typeof v !== 'string') return false;
        if (v === last || isAcceptedId(v)) {
          last = v;
          return true;
        }
        if (ID_PATTERN.test(v)) {
          if (hexIdLooksLikeText(v)) return false;
          rememberAcceptedId(v);
        } else {
          if (!provider) return false;
          if (!providerIds.has(v)) {
            if (!isSafeProviderId(v)) return false;
            if (providerIds.size >= ACCEPTED_LABELS_MAX) providerIds.clear();
            providerIds.add(v);
          }
        }
        last = v;
        return true;
      };
    }
    case 'number': {
      const min = r.min ?? -Infinity;
      const max = r.max ?? Infinity;
      const maxDigits = r.maxDigits ?? DEFAULT_MAX_DIGITS;
      return (v) =>
        typeof v === 'number' &&
        Number.isFinite(v) &&
        v >= min &&
        v <= max &&
        !looksSensitiveNumber(v, maxDigits);
    }
    case 'integer': {
      const min = r.min ?? 0;
      const max = r.max ?? MAX_COUNT;
      return (v) =>
        typeof v === 'number' &&
        Number.isSafeInteger(v) &&
        v >= min &&
        v <= max &&
        Math.abs(v) < NINE_DIGITS;
    }
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'array': {
      const item = compileRule(r.items);
      const maxItems = r.maxItems ?? 16;
      return (v) => Array.isArray(v) && v.length <= maxItems && (v as unknown[]).every(item);
    }
  }
}
