/**
 * An OTel `Context` that adds one entry to its parent by pointing at it
 * instead of copying it. `@opentelemetry/api`'s own context copies its whole
 * map and makes three closures on every `setValue`; runs and steps make a
 * context each, so on the SDK's hot path that copy was a large share of a
 * span's cost. Lookups walk the chain: its length is how deeply the code
 * that made it is nested, a few entries for a run's steps.
 */
import type { Context } from '@opentelemetry/api';

/**
 * A context holding `key` → `value` over `parent`. Immutable, as every
 * `Context` is: `setValue` and `deleteValue` return a new one. A deleted
 * key reads as `undefined`, as in the API's own context.
 *
 * @example
 * const ctx = new LinkedContext(context.active(), RUN_KEY, run);
 * context.with(trace.setSpan(ctx, span), fn);
 */
export class LinkedContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  /** The value of `key` here, else in the parent. */
  getValue(key: symbol): unknown {
    // a loop, not recursion: a long chain costs no stack
    if (this.key === key) return this.value;
    let ctx = this.parent;
    while (ctx instanceof LinkedContext) {
      if (ctx.key === key) return ctx.value;
      ctx = ctx.parent;
    }
    return ctx.getValue(key);
  }

  /** A new context with `key` set to `value`. */
  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  /** A new context in which `key` reads as `undefined`. */
  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined);
  }
}
