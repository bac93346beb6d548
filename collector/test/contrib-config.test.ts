import { readFileSync } from 'node:fs';
import {
  createPrivacyPolicy,
  isSafeName,
  isSafeStatusMessage,
  looksSensitive,
  rule,
} from '@agenttrace/sdk';
import { compileRule } from '../../packages/sdk/src/privacy/rules.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contribCollectorConfig } from '../src/contrib/contrib-config.js';
import {
  DIGITS_BEFORE_MASK_RE2,
  NAME_RE2,
  SENSITIVE_NOT_IN_RE2,
  SENSITIVE_RE2,
  SNAPSHOT_DATE_RE2,
  STATUS_MESSAGE_RE2,
} from '../src/contrib/ottl-statements.js';

interface Config {
  processors: Record<
    string,
    {
      error_mode?: string;
      trace_statements?: { context: string; error_mode?: string; statements: string[] }[];
    }
  >;
  exporters: { clickhouse: Record<string, unknown> };
  service: { pipelines: { traces: { processors: string[]; exporters: string[] } } };
}

const config = parse(contribCollectorConfig()) as Config;
const statements = (context: string) =>
  config.processors['transform/agenttrace_allowlist']!.trace_statements!.find(
    (s) => s.context === context,
  )!.statements;

describe('contribCollectorConfig', () => {
  it('matches the committed collector/contrib/otelcol-config.yaml (regenerate on policy changes)', () => {
    const committed = readFileSync(
      new URL('../contrib/otelcol-config.yaml', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(contribCollectorConfig());
  });

  it('wires otlp → allowlist transform → batch → clickhouse otel_traces without creating the schema', () => {
    expect(config.service.pipelines.traces.processors).toEqual([
      'memory_limiter',
      'transform/agenttrace_allowlist',
      'batch',
    ]);
    expect(config.service.pipelines.traces.exporters).toEqual(['clickhouse']);
    expect(config.exporters.clickhouse).toMatchObject({
      traces_table_name: 'otel_traces',
      create_schema: false,
    });
  });

  it('keeps exactly the policy keys in span, event and resource contexts, and checks each one', () => {
    const policy = createPrivacyPolicy();
    const keep = (context: string) => {
      const line = statements(context).find((s) => s.startsWith('keep_keys('))!;
      return JSON.parse(line.slice('keep_keys(attributes, '.length, -1)) as string[];
    };
    expect(keep('span').sort()).toEqual([...policy.spanAttributes.keys()].sort());
    expect(keep('spanevent').sort()).toEqual([...policy.eventAttributes.keys()].sort());
    expect(keep('resource').sort()).toEqual([...policy.resourceAttributes.keys()].sort());
    for (const key of policy.spanAttributes.keys())
      expect(
        statements('span').some((s) =>
          s.startsWith(`delete_key(attributes, ${JSON.stringify(key)})`),
        ),
      ).toBe(true);
    expect(keep('span')).not.toContain('exception.message');
    expect(keep('spanevent')).not.toContain('exception.stacktrace');
  });

  it('moves foreign token counts and models before the keep list drops them', () => {
    const span = statements('span');
    const keepAt = span.findIndex((s) => s.startsWith('keep_keys('));
    const alias = span.findIndex((s) =>
      s.includes(
        'set(attributes["gen_ai.usage.input_tokens"], attributes["llm.token_count.prompt"])',
      ),
    );
    expect(alias).toBeGreaterThanOrEqual(0);
    expect(alias).toBeLessThan(keepAt);
  });

  it('uses regexes that agree with the SDK on names and sensitive values', () => {
    const sensitive = new RegExp(SENSITIVE_RE2.replace(/\(\?i:/g, '(?:'), 'i');
    for (const v of [
      'jane@example.com',
      'sk-proj-abcdEFGH1234',
      'eyJhbGciOi.eyJzdWIi.x',
      '4111 1111 1111 1111',
      '10.0.0.1',
      'Bearer abc',
    ])
      expect([v, sensitive.test(v)]).toEqual([v, looksSensitive(v)]);
    expect(sensitive.test('gpt-4o-mini')).toBe(false);
    const name = new RegExp(NAME_RE2);
    for (const n of [
      'chat gpt-4o',
      'execute_tool lookup',
      'ai.generateText',
      'John Smith',
      'please help me',
      'POST /v1/chat',
    ])
      expect([n, name.test(n)]).toEqual([n, isSafeName(n)]);
    expect(SENSITIVE_NOT_IN_RE2).toHaveLength(1);
  });

  it('keeps dated model snapshots as the SDK does, and still drops phone numbers in a model name', () => {
    // the statements for gen_ai.request.model, replayed with JS regexes (RE2 syntax is a subset)
    const span = statements('span');
    const at = span.indexOf(
      'set(attributes["agenttrace.scratch.masked"], attributes["gen_ai.request.model"]) where attributes["gen_ai.request.model"] != nil',
    );
    expect(at).toBeGreaterThan(0);
    expect(span[at + 1]).toMatch(/^replace_pattern\(attributes\["agenttrace\.scratch\.masked"\]/);
    expect(span[at + 2]).toMatch(
      /^delete_key\(attributes, "gen_ai\.request\.model"\) where .*agenttrace\.scratch\.masked/,
    );
    expect(span[at + 3]).toBe('delete_key(attributes, "agenttrace.scratch.masked")');
    const sensitive = new RegExp(SENSITIVE_RE2.replace(/\(\?i:/g, '(?:'), 'i');
    const kept = (v: string) => {
      const masked = v.replace(new RegExp(SNAPSHOT_DATE_RE2, 'g'), '$1~$2');
      return !sensitive.test(masked) && !new RegExp(DIGITS_BEFORE_MASK_RE2).test(masked);
    };
    const sdk = compileRule(rule.model());
    for (const v of [
      'claude-sonnet-4-5-20250929',
      'gpt-4.1-2025-04-14',
      'o3-2025-04-16',
      'claude-3-5-sonnet@20241022',
      'anthropic.claude-3-5-sonnet-20241022-v2:0',
      'gpt-4o-mini',
      'gpt-4o-4155550199',
      'model-415-20250929',
      'jane-2025-01-01-4155550199',
      'jane@example.com',
    ])
      expect([v, kept(v)]).toEqual([v, sdk(v)]);
  });

  it('keeps only a failure code or an exception class name as the status message, as the SDK does', () => {
    const statement = statements('span').find((st) => st.startsWith('set(status.message, "")'));
    expect(statement).toContain(JSON.stringify(STATUS_MESSAGE_RE2));
    const sensitive = new RegExp(SENSITIVE_RE2.replace(/\(\?i:/g, '(?:'), 'i');
    const kept = (m: string) =>
      new RegExp(STATUS_MESSAGE_RE2).test(m) && m.length <= 64 && !sensitive.test(m);
    for (const m of [
      'rate_limited',
      'quota_exceeded',
      'RateLimitError',
      'APIConnectionException',
      'PLANTED-secret-7f3a',
      'sk-proj-abcdEFGH1234',
      'Rate limit reached for jane@example.com',
      'user_4155550199',
    ])
      expect([m, kept(m)]).toEqual([m, isSafeStatusMessage(m)]);
  });

  it('skips a statement that errors instead of dropping the payload (error_mode: ignore, no group overrides it)', () => {
    const transform = config.processors['transform/agenttrace_allowlist']!;
    expect(transform.error_mode).toBe('ignore');
    for (const group of transform.trace_statements!) expect(group.error_mode).toBeUndefined();
  });

  it('has no statement that can error on a value, so every check that drops a bad value runs', () => {
    for (const context of ['resource', 'span', 'spanevent']) {
      const list = statements(context);
      // Len() errors on nil and non-strings: lengths are patterns instead.
      expect(list.filter((s) => s.includes('Len('))).toEqual([]);
      for (const [i, s] of list.entries()) {
        // Double() is nil for what it cannot convert; arithmetic on it is guarded.
        for (const [, arg] of s.matchAll(/(?<!Is)Double\((attributes\["[^"]+"\])\)/g))
          expect([s, s.includes(`Double(${arg}) != nil`)]).toEqual([s, true]);
        // A value check (pattern or bound) on a key comes after a statement
        // that deleted the key's wrong-typed values with a type test.
        const key = /^delete_key\(attributes, ("[^"]+")\) where (.*)$/.exec(s);
        if (!key || !/IsMatch\(| < | > /.test(key[2] ?? '')) continue;
        const guard = list
          .slice(0, i)
          .some(
            (t) =>
              t.startsWith(`delete_key(attributes, ${key[1]}) where `) &&
              /and not Is(String|Int|Double|Bool)\(/.test(t) &&
              !/IsMatch\(| < | > /.test(t),
          );
        expect([s, guard]).toEqual([s, true]);
      }
    }
  });
});
