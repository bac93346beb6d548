/**
 * Drop counts that are safe to publish outside the process (the collector's
 * `/metrics`): a key keeps its name only if agenttrace itself names it
 * somewhere (the policy, the alias map, the forbidden keys and prefixes, the
 * session and user id sources, the counter's own `(…)` names). Any other key could be anything a client
 * chose, including an e-mail address shaped as a label.
 */
import { METADATA_PREFIX } from '../conventions.js';
import { ALIASES } from './aliases.js';
import { OTHER_KEYS } from './drop-counter.js';
import { FORBIDDEN_KEYS, FORBIDDEN_PREFIXES, type PrivacyPolicy } from './policy.js';
import { isSessionSourceKey } from './session-sources.js';

const RESERVED = /^\([a-z_]+\)$/;

/** The name `key` is published under: itself, `<prefix>*`, or `(other)`. */
export function publishedKey(key: string, policy: PrivacyPolicy): string {
  if (
    RESERVED.test(key) ||
    policy.spanAttributes.has(key) ||
    policy.eventAttributes.has(key) ||
    policy.resourceAttributes.has(key) ||
    ALIASES.has(key) ||
    FORBIDDEN_KEYS.has(key) ||
    isSessionSourceKey(key)
  )
    return key;
  if (key.startsWith(METADATA_PREFIX)) return `${METADATA_PREFIX}*`;
  for (const prefix of FORBIDDEN_PREFIXES) if (key.startsWith(prefix)) return `${prefix}*`;
  return OTHER_KEYS;
}

/** `byKey` summed under {@link publishedKey}. */
export function publishableDrops(
  byKey: Readonly<Record<string, number>>,
  policy: PrivacyPolicy,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(byKey)) {
    const name = publishedKey(key, policy);
    out[name] = (out[name] ?? 0) + n;
  }
  return out;
}
