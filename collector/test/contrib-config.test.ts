import { readFileSync } from 'node:fs';
import { createPrivacyPolicy, isSafeName, looksSensitive } from '@agenttrace/sdk';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contribCollectorConfig } from '../src/contrib/contrib-config.js';
import { NAME_RE2, SENSITIVE_NOT_IN_RE2, SENSITIVE_RE2 } from '../src/contrib/ottl-statements.js';

interface Config {
  processors: Record<string, { trace_statements?: { context: string; statements: string[] }[] }>;
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
});
