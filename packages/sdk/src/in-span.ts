/**
 * Runs a callback inside a context and ends the span in every outcome: sync
 * return, sync throw, fulfilment and rejection.
 */
import { context, type Context } from '@opentelemetry/api';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** What to do when the callback fails, and how to finish. */
export interface Settle {
  onError(err: unknown): void;
  onEnd(): void;
}

/**
 * Calls `fn` with `ctx` active. On a sync throw or a rejection, calls
 * `onError` then `onEnd` and rethrows; otherwise `onEnd`. Returns what `fn`
 * returns (a promise stays a promise).
 */
export function inSpan<T>(ctx: Context, fn: () => T, settle: Settle): T {
  let result: T;
  try {
    result = context.with(ctx, fn);
  } catch (err) {
    settle.onError(err);
    settle.onEnd();
    throw err;
  }
  if (!isPromiseLike(result)) {
    settle.onEnd();
    return result;
  }
  return Promise.resolve(result).then(
    (value) => {
      settle.onEnd();
      return value;
    },
    (err: unknown) => {
      settle.onError(err);
      settle.onEnd();
      throw err;
    },
  ) as T;
}
