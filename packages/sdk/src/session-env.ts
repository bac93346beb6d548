/**
 * agenttrace's session settings from the environment, read with the OTel
 * SDK's env helpers (as `otel-env.ts` reads the OTel variables), once per
 * `createTracerProvider` call, never in the span path.
 *
 * - `AGENTTRACE_SESSION_KEY`: the HMAC key itself (32+ bytes).
 * - `AGENTTRACE_SESSION_KEY_FILE`: a file holding it (wins over the variable,
 *   so the key can stay out of the environment of child processes).
 * - `AGENTTRACE_PSEUDONYMIZE_USER_ID=true`: also store end-user pseudonyms.
 */
import { getBooleanFromEnv, getStringFromEnv } from '@opentelemetry/core';
import { readSessionKeyFile } from './privacy/pseudonymize.js';

/** Session settings the environment gives; unset ones are `undefined`. */
export interface SessionEnv {
  /** The key from `AGENTTRACE_SESSION_KEY_FILE`, else `AGENTTRACE_SESSION_KEY`. */
  readonly sessionKey: string | undefined;
  /** `AGENTTRACE_PSEUDONYMIZE_USER_ID`; `undefined` when unset. */
  readonly pseudonymizeUserId: boolean | undefined;
}

/** Reads the session variables; throws a `SessionKeyError` for an unreadable or short key file. */
export function readSessionEnv(): SessionEnv {
  const file = getStringFromEnv('AGENTTRACE_SESSION_KEY_FILE');
  const sessionKey =
    file !== undefined ? readSessionKeyFile(file) : getStringFromEnv('AGENTTRACE_SESSION_KEY');
  const userIds = getStringFromEnv('AGENTTRACE_PSEUDONYMIZE_USER_ID');
  return {
    sessionKey,
    pseudonymizeUserId:
      userIds === undefined ? undefined : getBooleanFromEnv('AGENTTRACE_PSEUDONYMIZE_USER_ID'),
  };
}
