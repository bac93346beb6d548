/**
 * Metadata keys (`agenttrace.meta.<key>`) checked where spans are filtered,
 * not only in `setMetadata`: a span from any instrumentation, or one that
 * bypassed the SDK's API, can name a key itself after an e-mail address or
 * a phone number.
 */
import { METADATA_PREFIX } from '../conventions.js';
import { looksSensitive } from './sensitive.js';
import { isSessionSourceKey } from './session-sources.js';

/** The shape `setMetadata` accepts: snake_case, up to 64 characters. */
export const METADATA_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * True for a metadata key (without the prefix) that may be stored: snake_case
 * as `setMetadata` requires, not personal data or a secret by the
 * detectors (digit runs, long mixed runs, encoded text), and not a session
 * or user id (`session_id`, `user_id`…: the allowlist pseudonymizes those).
 *
 * @example
 * isSafeMetadataKey('result_count') // true
 * isSafeMetadataKey('user_4155550199') // false
 */
export function isSafeMetadataKey(key: string): boolean {
  return (
    METADATA_KEY_PATTERN.test(key) &&
    !looksSensitive(key) &&
    !isSessionSourceKey(METADATA_PREFIX + key)
  );
}

/** True for an attribute key `agenttrace.meta.<key>` whose key part is safe. */
export function isSafeMetadataAttribute(attribute: string): boolean {
  if (accepted.has(attribute)) return true;
  const safe =
    attribute.startsWith(METADATA_PREFIX) &&
    isSafeMetadataKey(attribute.slice(METADATA_PREFIX.length));
  if (safe) {
    if (accepted.size >= ACCEPTED_MAX) accepted.clear();
    accepted.add(attribute);
  }
  return safe;
}

/** Keys accepted before: the same metadata keys repeat on every span. */
const accepted = new Set<string>();
const ACCEPTED_MAX = 1024;
