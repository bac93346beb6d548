/**
 * Retry timing of store writes: exponential backoff with jitter, bounded by
 * attempts and total elapsed time (otlp-exporter-base `retrying-transport.ts`).
 */

/** Delay before the first retry. */
export const INITIAL_BACKOFF_MS = 100;
/** Each retry waits this many times longer than the one before. */
export const BACKOFF_MULTIPLIER = 2;
/** Longest wait between two attempts. */
export const MAX_BACKOFF_MS = 5_000;
/** Each delay is scaled by a random factor in `[1 - JITTER, 1 + JITTER]`. */
export const JITTER = 0.2;
/** Longest `Retry-After` honoured; longer requests are capped. */
export const MAX_RETRY_AFTER_MS = 30_000;
/** Default bound on attempts per batch (the first try included). */
export const DEFAULT_MAX_ATTEMPTS = 20;
/** Default bound on the time a batch may spend retrying. */
export const DEFAULT_MAX_RETRY_ELAPSED_MS = 60_000;

/**
 * Delay before attempt `attempt + 1`, after `attempt` failed attempts.
 * A server's `Retry-After` wins over the computed backoff (capped).
 */
export function backoffDelay(
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  const base = Math.min(INITIAL_BACKOFF_MS * BACKOFF_MULTIPLIER ** (attempt - 1), MAX_BACKOFF_MS);
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.round(base * factor);
}

/** Waits `ms` without keeping the process alive for it. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
