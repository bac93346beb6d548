/**
 * The ClickHouse plugin backend's macros (`pkg/macros/macros.go`):
 * `$__timeFilter(c)` → `c >= toDateTime(from) AND c <= toDateTime(to)`, …,
 * expanded innermost first when nested, after comments are stripped;
 * unknown macros are left as they are.
 */
import type { QueryContext } from './variable-state.js';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const toDateTime = (d: Date) => `toDateTime(${seconds(d)})`;
const toDateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const toDate = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;
const intervalSeconds = (ctx: QueryContext) => Math.trunc(Math.max(ctx.intervalMs / 1000, 1));

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Go's `time.ParseDuration`, in seconds. */
function parseGoDuration(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * (GO_DURATION_UNITS[match[2] ?? ''] ?? NaN);
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length || Number.isNaN(total))
    throw new Error(`$__timeGroup: invalid interval "${text}"`);
  return total;
}

type Macro = (ctx: QueryContext, args: string[]) => string;

function arity(
  name: string,
  want: number,
  fn: (ctx: QueryContext, args: string[]) => string,
): Macro {
  return (ctx, args) => {
    if (args.length !== want)
      throw new Error(`$__${name} expected ${want} argument(s), received ${args.length}`);
    return fn(ctx, args);
  };
}

const dateTimeFilter = arity(
  'dateTimeFilter',
  2,
  (ctx, [d, t]) =>
    `(${d} >= ${toDate(ctx.from)} AND ${d} <= ${toDate(ctx.to)}) AND ` +
    `(${t} >= ${toDateTime(ctx.from)} AND ${t} <= ${toDateTime(ctx.to)})`,
);

/** The backend macros (ClickHouseMacros in pkg/macros/macros.go). */
const MACROS: Record<string, Macro> = {
  fromTime: (ctx) => toDateTime(ctx.from),
  toTime: (ctx) => toDateTime(ctx.to),
  fromTime_ms: (ctx) => toDateTime64(ctx.from),
  toTime_ms: (ctx) => toDateTime64(ctx.to),
  timeFilter: arity(
    'timeFilter',
    1,
    (ctx, [c]) => `${c} >= ${toDateTime(ctx.from)} AND ${c} <= ${toDateTime(ctx.to)}`,
  ),
  timeFilter_ms: arity(
    'timeFilter_ms',
    1,
    (ctx, [c]) => `${c} >= ${toDateTime64(ctx.from)} AND ${c} <= ${toDateTime64(ctx.to)}`,
  ),
  dateFilter: arity(
    'dateFilter',
    1,
    (ctx, [c]) => `${c} >= ${toDate(ctx.from)} AND ${c} <= ${toDate(ctx.to)}`,
  ),
  dateTimeFilter,
  dt: dateTimeFilter,
  timeFrom: arity('timeFrom', 1, (ctx, [c]) => `${c} >= ${toDateTime(ctx.from)}`),
  timeTo: arity('timeTo', 1, (ctx, [c]) => `${c} <= ${toDateTime(ctx.to)}`),
  timeInterval: arity(
    'timeInterval',
    1,
    (ctx, [c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds(ctx)} second)`,
  ),
  timeInterval_ms: arity(
    'timeInterval_ms',
    1,
    (ctx, [c]) =>
      `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.trunc(Math.max(ctx.intervalMs, 1))} millisecond)`,
  ),
  interval_s: (ctx) => String(intervalSeconds(ctx)),
  timeGroup: arity('timeGroup', 2, (_ctx, [c = '', period = '']) => {
    const secs = Math.round(parseGoDuration(period.trim().replace(/^['"]|['"]$/g, '')));
    if (secs <= 0) throw new Error(`$__timeGroup: interval must be positive, got "${period}"`);
    return `toStartOfInterval(toDateTime(${c.trim()}), INTERVAL ${secs} second)`;
  }),
};

/** Index after the quoted literal or identifier opening at `start`. */
function skipQuoted(sql: string, start: number): number {
  const quote = sql[start];
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '\\') i += 2;
    else if (ch === quote && sql[i + 1] === quote) i += 2;
    else if (ch === quote) return i + 1;
    else i++;
  }
  return i;
}

/** Index after the `$tag$…$tag$` literal at `start`, or -1 if none starts there. */
function skipDollarQuoted(sql: string, start: number): number {
  const open = /\$(?:[A-Za-z_]\w*)?\$/y;
  open.lastIndex = start;
  const tag = open.exec(sql)?.[0];
  if (tag === undefined) return -1;
  const close = sql.indexOf(tag, start + tag.length);
  return close === -1 ? sql.length : close + tag.length;
}

/**
 * Removes `--` and `/* *\/` comments outside quoted literals, backtick
 * identifiers and `$tag$` strings (macropro strips them before expanding).
 */
function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const dollarEnd = ch === '$' ? skipDollarQuoted(sql, i) : -1;
    if (dollarEnd !== -1) {
      out += sql.slice(i, dollarEnd);
      i = dollarEnd;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      const end = skipQuoted(sql, i);
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Arguments between the `(` at `open` and its `)`: [args, index after `)`]. */
function splitArgs(sql: string, open: number): [string[], number] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  let i = open;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipQuoted(sql, i);
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) {
      args.push(sql.slice(start, i));
      return [args.map((a) => a.trim()).filter((a, n, all) => a !== '' || all.length > 1), i + 1];
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  throw new Error(`unbalanced parentheses after position ${open}`);
}

function expand(sql: string, ctx: QueryContext): string {
  let out = '';
  let i = 0;
  const re = /\$__(\w+)/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(sql)) !== null) {
    const name = match[1] ?? '';
    const macro = MACROS[name];
    if (macro === undefined) continue;
    out += sql.slice(i, match.index);
    let end = re.lastIndex;
    let args: string[] = [];
    if (sql[end] === '(' && name !== 'interval_s' && !/^(from|to)Time/.test(name)) {
      [args, end] = splitArgs(sql, end);
      args = args.map((a) => expand(a, ctx));
    }
    out += macro(ctx, args);
    i = end;
    re.lastIndex = end;
  }
  return out + sql.slice(i);
}

/** Step 3: the backend's macros (`macros.Interpolate`). */
export function interpolateMacros(sql: string, ctx: QueryContext): string {
  return expand(stripComments(sql), ctx);
}
