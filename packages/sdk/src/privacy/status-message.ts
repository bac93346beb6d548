/**
 * Which span status messages may be stored. Instrumentations put the error's
 * message there, and a message can be one token (an API key, a session
 * token, `PLANTED-secret-7f3a`) as easily as a sentence, so being a label is
 * not enough: only the shapes code writes are kept, a failure code
 * (`rate_limited`, `quota_exceeded`) or an exception class name
 * (`RateLimitError`, `APIConnectionException`).
 */
import { isSafeLabel } from './sensitive.js';

/** A snake_case code or an exception class name (a JS `RegExp` that RE2 also runs). */
export const STATUS_MESSAGE_PATTERN =
  /^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)*|[A-Z][A-Za-z0-9]*(?:Error|Exception))$/;

/** The longest status message kept. */
export const STATUS_MESSAGE_MAX_LENGTH = 64;

/**
 * True for a status message that may be stored.
 *
 * @example
 * isSafeStatusMessage('rate_limited') // true
 * isSafeStatusMessage('PLANTED-secret-7f3a') // false
 */
export function isSafeStatusMessage(message: string): boolean {
  return isSafeLabel(message, STATUS_MESSAGE_PATTERN, STATUS_MESSAGE_MAX_LENGTH);
}
