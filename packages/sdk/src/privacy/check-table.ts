/**
 * The compiled checks of one attribute scope as the filter looks them up,
 * once per attribute of every span. Two things make the lookup cheap:
 * - the checks sit in an object with no prototype, which V8 keeps in
 *   dictionary mode: a key is one hash probe, and `constructor`,
 *   `toString` or `__proto__` find no check, like any key the policy does
 *   not name;
 * - the key last looked up at each position of an attribute set is
 *   remembered with its entry: spans of one kind carry their keys in the
 *   same order, so most lookups are one comparison of the key itself.
 *
 * Each entry also remembers the last value its check accepted. A value is
 * only ever taken for accepted when it is that exact value (`===`), and
 * only strings, numbers and booleans are remembered: whether one passes
 * depends on nothing but the value.
 */
import type { Check } from './rules.js';

/** One allowed key: its check and the last value it accepted. */
export class CheckEntry {
  /** The last string `check` accepted. */
  private lastString: string | undefined = undefined;
  /** The last number `check` accepted (`NaN` equals nothing, not even itself). */
  private lastNumber = NaN;

  constructor(readonly check: Check) {}

  /** True when `value` may be kept under this entry's key. */
  accepts(value: unknown): boolean {
    if (typeof value === 'string') {
      if (value === this.lastString) return true;
      if (!this.check(value)) return false;
      this.lastString = value;
      return true;
    }
    if (typeof value === 'number') {
      if (value === this.lastNumber) return true;
      if (!this.check(value)) return false;
      this.lastNumber = value;
      return true;
    }
    return this.check(value);
  }
}

/** Positions remembered: longer attribute sets look the rest up by key. */
const POSITIONS = 32;

/** Checks by attribute key, with the lookup cache described above. */
export class CheckTable {
  private readonly byKey: Record<string, CheckEntry | undefined>;
  private readonly keys: string[] = new Array<string>(POSITIONS).fill('');
  private readonly entries: (CheckEntry | undefined)[] = new Array<undefined>(POSITIONS).fill(
    undefined,
  );

  constructor(checks: ReadonlyMap<string, Check>) {
    this.byKey = Object.create(null) as Record<string, CheckEntry | undefined>;
    for (const [key, check] of checks) this.byKey[key] = new CheckEntry(check);
  }

  /**
   * The entry of `key`, or `undefined` when the policy does not name it.
   * `position` is the key's place in the attribute set being filtered.
   */
  entry(key: string, position: number): CheckEntry | undefined {
    if (position >= POSITIONS) return this.byKey[key];
    if (this.keys[position] === key) return this.entries[position];
    const entry = this.byKey[key];
    this.keys[position] = key;
    this.entries[position] = entry;
    return entry;
  }
}
