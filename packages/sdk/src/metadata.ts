/**
 * User metadata on runs and steps: `agenttrace.meta.<key>` attributes. Keys
 * are checked here; values are checked by the privacy allowlist, which keeps
 * numbers and booleans and only the string keys the policy declares.
 */
import type { Attributes } from '@opentelemetry/api';
import { METADATA_PREFIX } from './conventions.js';

/** Metadata values: numbers, booleans and short labels. Never content. */
export type Metadata = Readonly<Record<string, string | number | boolean>>;

const KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const prefixed = new Map<string, string>();

/** Turns metadata into attributes. Throws a `TypeError` naming a malformed key. */
export function metadataAttributes(metadata: Metadata): Attributes {
  const out: Attributes = {};
  for (const key in metadata) {
    let name = prefixed.get(key);
    if (name === undefined) {
      if (!KEY_PATTERN.test(key))
        throw new TypeError(
          `metadata key must be snake_case letters, digits and _ up to 64 characters (got ${JSON.stringify(key)})`,
        );
      name = METADATA_PREFIX + key;
      if (prefixed.size < 1024) prefixed.set(key, name);
    }
    out[name] = metadata[key];
  }
  return out;
}
