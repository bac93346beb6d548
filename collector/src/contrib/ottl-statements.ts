/**
 * Translates the agenttrace privacy policy into OTTL statements for the
 * OpenTelemetry Collector (contrib) `transform` processor, for teams that run
 * the official collector fleet. What OTTL cannot express is listed in
 * `docs/scale.md`; this file only emits what it can enforce.
 */
import {
  ALIASES,
  ID_PATTERN,
  LABEL_PATTERN,
  NAME_VERBS,
  SENSITIVE_PATTERNS,
  STATUS_MESSAGE_MAX_LENGTH,
  STATUS_MESSAGE_PATTERN,
  conventions as C,
  type AttributeRule,
  type PrivacyPolicy,
} from '@agenttrace/sdk';

/** OTTL statements per transform-processor context. */
export interface OttlStatements {
  resource: string[];
  scope: string[];
  span: string[];
  spanevent: string[];
}

const q = (s: string) => JSON.stringify(s);
const attr = (key: string) => `attributes[${q(key)}]`;

/** RE2 has no lookaround; patterns using it are left to agenttrace's own collector. */
function re2(pattern: RegExp): string | undefined {
  if (/\(\?[=!<]/.test(pattern.source)) return undefined;
  return pattern.flags.includes('i') ? `(?i:${pattern.source})` : pattern.source;
}

/** One RE2 alternation of the sensitive-value detectors that RE2 can run. */
export const SENSITIVE_RE2 = SENSITIVE_PATTERNS.map(re2)
  .filter((s): s is string => s !== undefined)
  .map((s) => `(?:${s})`)
  .join('|');

/** Detectors RE2 cannot run (lookarounds); reported in the docs. */
export const SENSITIVE_NOT_IN_RE2 = SENSITIVE_PATTERNS.filter((p) => re2(p) === undefined).map(
  (p) => p.source,
);

const LABEL = LABEL_PATTERN.source;
const LABEL_BODY = LABEL.slice(1, -1);
/** Span and event names: one label, or a known verb and one label (as `isSafeName`). */
export const NAME_RE2 = `^(?:${LABEL_BODY}|(?:${[...NAME_VERBS].map(escape).join('|')}) ${LABEL_BODY})$`;

/**
 * A model's snapshot date, as `maskSnapshotDates` finds it, in RE2 (no
 * lookaround): the separator before and what follows are captured and put
 * back around the mask by `$1~$2`.
 */
export const SNAPSHOT_DATE_RE2 =
  '([-@_.])20[23]\\d-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12]\\d|3[01])($|[-@_.:/][^\\d]|[^\\d.:/@_-])';
/** Three or more digits right before a masked date: with it they could spell a longer number. */
export const DIGITS_BEFORE_MASK_RE2 = '\\d(?:[.-]?\\d){2,}[-@_.]~';
/** The status messages kept: a failure code or an exception class name. */
export const STATUS_MESSAGE_RE2 = STATUS_MESSAGE_PATTERN.source;
/** Scratch attribute a model name is masked in before the detectors run; deleted right after. */
const SCRATCH = 'agenttrace.scratch.masked';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Statements deleting `key` when its value breaks `r`. Arrays cannot be
 * checked item by item: they are deleted.
 *
 * The processor runs with `error_mode: ignore`, under which a statement that
 * errors is skipped (and logged) while the rest of the payload goes on: a
 * check that errored would let its value through. So no check can error:
 * a first statement deletes a value of the wrong type using only type tests
 * (`IsString`, `IsInt`, …, which never error); the next ones see a value of
 * the right type or nil, and use only `IsMatch` (false on nil) and
 * comparisons (false on nil or another type). Lengths are checked with a
 * pattern, not `Len`, which errors on nil.
 */
function ruleStatements(key: string, r: AttributeRule): string[] {
  const a = attr(key);
  const del = (where: string) => `delete_key(attributes, ${q(key)}) where ${a} != nil and ${where}`;
  const notString = del(`not IsString(${a})`);
  switch (r.kind) {
    case 'enum':
      return [notString, del(`not IsMatch(${a}, ${q(`^(?:${r.values.map(escape).join('|')})$`)})`)];
    case 'label': {
      const pattern = r.pattern ? re2(r.pattern) : LABEL;
      const max = r.maxLength ?? 128;
      if (pattern === undefined) return [`delete_key(attributes, ${q(key)}) where ${a} != nil`];
      if (r.dates === true) {
        // a dated snapshot's digits would read as a phone number: the
        // detectors run on a copy with the date masked, as the SDK does
        const s = attr(SCRATCH);
        return [
          notString,
          del(
            `(not IsMatch(${a}, ${q(pattern)}) or not IsMatch(${a}, ${q(`^(?s:.){0,${max}}$`)}))`,
          ),
          `set(${s}, ${a}) where ${a} != nil`,
          `replace_pattern(${s}, ${q(SNAPSHOT_DATE_RE2)}, "$$1~$$2")`,
          del(
            `(IsMatch(${s}, ${q(SENSITIVE_RE2)}) or IsMatch(${s}, ${q(DIGITS_BEFORE_MASK_RE2)}))`,
          ),
          `delete_key(attributes, ${q(SCRATCH)})`,
        ];
      }
      return [
        notString,
        del(
          `(not IsMatch(${a}, ${q(pattern)}) or not IsMatch(${a}, ${q(`^(?s:.){0,${max}}$`)}) or IsMatch(${a}, ${q(SENSITIVE_RE2)}))`,
        ),
      ];
    }
    case 'id':
      return [notString, del(`not IsMatch(${a}, ${q(ID_PATTERN.source)})`)];
    case 'integer': {
      const bounds = [`${a} < ${r.min ?? 0}`];
      if (r.max !== undefined && r.max < Number.MAX_SAFE_INTEGER) bounds.push(`${a} > ${r.max}`);
      return [del(`not IsInt(${a})`), del(`(${bounds.join(' or ')})`)];
    }
    case 'number': {
      const checks = [del(`not IsDouble(${a}) and not IsInt(${a})`)];
      const bounds: string[] = [];
      if (r.min !== undefined) bounds.push(`${a} < ${r.min}`);
      if (r.max !== undefined) bounds.push(`${a} > ${r.max}`);
      if (bounds.length) checks.push(del(`(${bounds.join(' or ')})`));
      return checks;
    }
    case 'boolean':
      return [del(`not IsBool(${a})`)];
    case 'array':
      return [`delete_key(attributes, ${q(key)}) where ${a} != nil`];
  }
}

function keepAndCheck(allowed: ReadonlyMap<string, AttributeRule>): string[] {
  const keys = [...allowed.keys()];
  return [
    `keep_keys(attributes, [${keys.map(q).join(', ')}])`,
    ...keys.flatMap((k) => ruleStatements(k, allowed.get(k)!)),
  ];
}

/** Foreign keys copied under the conventions' names before the keep list drops them. */
function aliasStatements(): string[] {
  const out: string[] = [];
  for (const [source, alias] of ALIASES) {
    const target = attr(alias.target);
    const when = `${target} == nil and ${attr(source)} != nil`;
    if (!alias.transform) {
      out.push(`set(${target}, ${attr(source)}) where ${when}`);
      continue;
    }
    // transforms that are lookup tables become one statement per value
    for (const value of [
      'AGENT',
      'TOOL',
      'LLM',
      'RETRIEVER',
      'EMBEDDING',
      'CHAIN',
      'agent',
      'tool',
      'workflow',
      'ai.generateText',
      'ai.streamText',
      'ai.generateObject',
      'ai.streamObject',
      'ai.generateText.doGenerate',
      'ai.streamText.doStream',
      'ai.generateObject.doGenerate',
      'ai.streamObject.doStream',
      'ai.toolCall',
      'ai.embed.doEmbed',
      'ai.embedMany.doEmbed',
    ]) {
      const mapped = alias.transform(value);
      if (typeof mapped === 'string' && alias.target === C.ATTR_GEN_AI_OPERATION_NAME)
        out.push(
          `set(${target}, ${q(mapped)}) where ${target} == nil and ${attr(source)} == ${q(value)}`,
        );
    }
    if (source === 'ai.model.provider') {
      out.push(`set(${target}, ${attr(source)}) where ${when}`);
      out.push(`replace_pattern(${target}, "^([^.]+)\\\\..*$", "$$1")`);
      out.push(`replace_pattern(${target}, "-", "_")`);
    }
    // Double() is nil for a value it cannot convert, and nil / 1000 is an error: guard it.
    if (source === 'ai.response.msToFirstChunk')
      out.push(
        `set(${target}, Double(${attr(source)}) / 1000) where ${when} and Double(${attr(source)}) != nil`,
      );
  }
  return out;
}

/** Builds the statements for `policy`. */
export function ottlStatements(policy: PrivacyPolicy): OttlStatements {
  return {
    resource: keepAndCheck(policy.resourceAttributes),
    scope: [
      `set(name, ${q(C.SPAN_NAME_REDACTED)}) where not IsMatch(name, ${q(LABEL)}) or IsMatch(name, ${q(SENSITIVE_RE2)})`,
      `set(version, "") where version != "" and (not IsMatch(version, ${q(LABEL)}) or IsMatch(version, ${q(SENSITIVE_RE2)}))`,
    ],
    span: [
      ...aliasStatements(),
      ...keepAndCheck(policy.spanAttributes),
      `set(name, ${q(C.SPAN_NAME_REDACTED)}) where not IsMatch(name, ${q(NAME_RE2)}) or IsMatch(name, ${q(SENSITIVE_RE2)})`,
      `set(status.message, "") where status.message != "" and (not IsMatch(status.message, ${q(STATUS_MESSAGE_RE2)}) or not IsMatch(status.message, ${q(`^(?s:.){0,${STATUS_MESSAGE_MAX_LENGTH}}$`)}) or IsMatch(status.message, ${q(SENSITIVE_RE2)}))`,
      `set(trace_state, "")`,
    ],
    spanevent: [
      ...keepAndCheck(policy.eventAttributes),
      `set(name, ${q(C.EVENT_NAME_REDACTED)}) where not IsMatch(name, ${q(NAME_RE2)}) or IsMatch(name, ${q(SENSITIVE_RE2)})`,
    ],
  };
}
