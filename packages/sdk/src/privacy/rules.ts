/**
 * Value rules of the privacy allowlist: each allowed key carries one, and a
 * value survives only if its rule accepts it. There is deliberately no rule
 * that accepts any string.
 */
import type { AttributeValue } from '@opentelemetry/api';
import { isSafeLabel, LABEL_PATTERN } from './sensitive.js';

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
}
/** A random identifier: a UUID or 16/32 hex digits. */
export interface IdRule {
  readonly kind: 'id';
}
/** A finite number within bounds. */
export interface NumberRule {
  readonly kind: 'number';
  readonly min?: number;
  readonly max?: number;
}
/** A safe integer within bounds. */
export interface IntegerRule {
  readonly kind: 'integer';
  /** @default 0 */
  readonly min?: number;
  /** @default Number.MAX_SAFE_INTEGER */
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

/** A run id: a UUID or 16/32 hex digits. */
export const ID_PATTERN =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16}|[0-9a-f]{32})$/i;

/** Rule constructors, for readable policies. */
export const rule = {
  enum: (values: readonly string[]): EnumRule => ({ kind: 'enum', values }),
  label: (options: { pattern?: RegExp; maxLength?: number } = {}): LabelRule => ({
    kind: 'label',
    ...options,
  }),
  id: (): IdRule => ({ kind: 'id' }),
  number: (min?: number, max?: number): NumberRule => ({ kind: 'number', min, max }),
  integer: (min = 0, max = Number.MAX_SAFE_INTEGER): IntegerRule => ({
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
      return;
    case 'array':
      if (r.maxItems !== undefined && !(Number.isInteger(r.maxItems) && r.maxItems > 0))
        fail('maxItems must be a positive integer', r.maxItems);
      assertValidRule(key, r.items);
      return;
    case 'id':
    case 'number':
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

/** Values a label rule accepted before, per rule: labels repeat (model and tool names), checks cost. */
const acceptedLabels = new WeakMap<LabelRule, Set<string>>();
const ACCEPTED_LABELS_MAX = 4096;

function acceptsLabel(r: LabelRule, value: string): boolean {
  let seen = acceptedLabels.get(r);
  if (seen?.has(value)) return true;
  if (!isSafeLabel(value, r.pattern ?? LABEL_PATTERN, r.maxLength ?? 128)) return false;
  if (!seen) acceptedLabels.set(r, (seen = new Set()));
  if (seen.size >= ACCEPTED_LABELS_MAX) seen.clear();
  seen.add(value);
  return true;
}

function acceptsScalar(r: Exclude<AttributeRule, ArrayRule>, value: unknown): boolean {
  switch (r.kind) {
    case 'enum':
      return typeof value === 'string' && r.values.includes(value);
    case 'label':
      return typeof value === 'string' && acceptsLabel(r, value);
    case 'id':
      return typeof value === 'string' && ID_PATTERN.test(value);
    case 'number':
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (r.min === undefined || value >= r.min) &&
        (r.max === undefined || value <= r.max)
      );
    case 'integer':
      return (
        typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        value >= (r.min ?? 0) &&
        value <= (r.max ?? Number.MAX_SAFE_INTEGER)
      );
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/** True when `value` satisfies `r`. Never throws for any input. */
export function accepts(r: AttributeRule, value: AttributeValue | undefined): boolean {
  if (r.kind !== 'array') return acceptsScalar(r, value);
  if (!Array.isArray(value) || value.length > (r.maxItems ?? 16)) return false;
  for (const item of value as readonly unknown[]) if (!acceptsScalar(r.items, item)) return false;
  return true;
}
