/**
 * Counts what the allowlist removed, per key. Only key names are kept, never
 * values; a key that is not itself a safe label is counted under
 * `(unsafe_key)`, so a key cannot smuggle data into the counts.
 */
import { isSafeLabel } from './sensitive.js';

/** Counted under this name when the key itself is not a safe label. */
export const UNSAFE_KEY = '(unsafe_key)';
/** Counted under this name once {@link MAX_DISTINCT_KEYS} keys are tracked. */
export const OTHER_KEYS = '(other)';
/** Names the allowlist counts non-attribute drops under, such as `(span_name)`. */
const RESERVED = /^\([a-z_]+\)$/;
/** Upper bound on distinct keys tracked, so hostile input cannot grow memory. */
export const MAX_DISTINCT_KEYS = 512;

/** Per-key drop counts with a bounded number of keys. */
export class DropCounter {
  private readonly counts = new Map<string, number>();
  private totalCount = 0;

  /** Counts one drop of `key`. */
  add(key: string): void {
    this.totalCount++;
    let name = this.counts.has(key) || RESERVED.test(key) || isSafeLabel(key) ? key : UNSAFE_KEY;
    if (!this.counts.has(name) && this.counts.size >= MAX_DISTINCT_KEYS) name = OTHER_KEYS;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  /** Total drops since creation. */
  get total(): number {
    return this.totalCount;
  }

  /** A snapshot of the counts, by key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
