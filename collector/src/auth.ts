/**
 * Bearer-token checks. Tokens are kept as SHA-256 digests and compared with
 * `crypto.timingSafeEqual` against every configured token (no early exit),
 * so neither the token's content nor which token matched leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const BEARER = /^Bearer +(\S+) *$/i;

/** A check of the `Authorization` header; always true when no tokens are configured. */
export type TokenVerifier = (authorization: string | undefined) => boolean;

/**
 * Builds a verifier for `tokens`.
 *
 * @example
 * const verify = createTokenVerifier(['a-long-random-token-1']);
 * verify('Bearer a-long-random-token-1'); // true
 */
export function createTokenVerifier(tokens: readonly string[]): TokenVerifier {
  if (tokens.length === 0) return () => true;
  const digests = tokens.map(digest);
  return (authorization) => {
    const m = authorization === undefined ? null : BEARER.exec(authorization);
    const given = digest(m?.[1] ?? '');
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    return ok && m !== null;
  };
}
