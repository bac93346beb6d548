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
 * Each entry also remembers the last string and the last number its check
 * accepted, and an enum or label entry every string it accepted (bounded).
 * A value is only ever taken for accepted when it is that exact value
 * (`===`; `-0` and `0` pass the same checks) under that key's own entry:
 * whether a string or a number passes depends on nothing but the value.
 * Arrays and other values are checked every time.
 */
import type { AttributeRule, Check } from './rules.js';

/** Most strings an entry remembers before it starts over (a forgotten one is checked again). */
const STRINGS_MAX = 4096;

/** One allowed key: its check and the values it accepted. */
export class CheckEntry {
  /** The last string `check` accepted. */
  private lastString: string | undefined = undefined;
  /** The last number `check` accepted (`NaN` equals nothing, not even itself). */
  private lastNumber = NaN;
  /**
   * Strings accepted before, for enum and label rules (a run's step names
   * and types take turns); `undefined` for ids, which change every run.
   */
  private readonly strings: Set<string> | undefined;

  constructor(
    readonly check: Check,
    rememberStrings: boolean,
  ) {
    this.strings = rememberStrings ? new Set() : undefined;
  }

  /** True when `value` may be kept under this entry's key. */
  accepts(value: unknown): boolean {
    if (typeof value === 'string') {
      // compared only once a string is remembered: the comparison then only ever sees two strings
      const last = this.lastString;
      if (last !== undefined && value === last) return true;
      const strings = this.strings;
      if (strings === undefined || !strings.has(value)) {
        if (!this.check(value)) return false;
        if (strings !== undefined) {
          if (strings.size >= STRINGS_MAX) strings.clear();
          strings.add(value);
        }
      }
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

/**
 * Checks by attribute key, with the lookup cache described above: two keys
 * per position, the newer first, so spans of two kinds taking turns (a run
 * and its first step, a model call and a tool call) both hit.
 */
export class CheckTable {
  private readonly byKey: Record<string, CheckEntry | undefined>;
  private readonly newerKeys: string[] = new Array<string>(POSITIONS).fill('');
  private readonly newerEntries: (CheckEntry | undefined)[] = new Array<undefined>(POSITIONS).fill(
    undefined,
  );
  private readonly olderKeys: string[] = new Array<string>(POSITIONS).fill('');
  private readonly olderEntries: (CheckEntry | undefined)[] = new Array<undefined>(POSITIONS).fill(
    undefined,
  );

  /** `rules` are the rules `checks` were compiled from, by the same keys. */
  constructor(rules: ReadonlyMap<string, AttributeRule>, checks: ReadonlyMap<string, Check>) {
    this.byKey = Object.create(null) as Record<string, CheckEntry | undefined>;
    for (const [key, check] of checks) {
      const kind = rules.get(key)?.kind;
      this.byKey[key] = new CheckEntry(check, kind === 'enum' || kind === 'label');
    }
  }

  /** The entry of `key`, or `undefined` when the policy does not name it. */
  get(key: string): CheckEntry | undefined {
    return this.byKey[key];
  }

  /**
   * {@link get} for the key at `position` in the attribute set being
   * filtered, through the per-position cache.
   */
  entry(key: string, position: number): CheckEntry | undefined {
    if (position >= POSITIONS) return this.byKey[key];
    if (this.newerKeys[position] === key) return this.newerEntries[position];
    if (this.olderKeys[position] === key) return this.olderEntries[position];
    const entry = this.byKey[key];
    this.olderKeys[position] = this.newerKeys[position]!;
    this.olderEntries[position] = this.newerEntries[position];
    this.newerKeys[position] = key;
    this.newerEntries[position] = entry;
    return entry;
  }
}
