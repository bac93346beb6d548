/**
 * getStats by agent counts the runs of traces without a run span (an
 * OpenLLMetry-shaped call around a bare client) under the name agent_runs
 * gives them, with their steps, tokens and cost counted once, beside the
 * SDK's own runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStats } from '../src/index.js';

let store: Store;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-stats-runs-')) });
  await migrate(store.client);
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 50 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bare-svc' }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const tracer = provider.getTracer('openllmetry-shaped');
  // OpenLLMetry's openai.chat around the provider client's own GenAI span: one call, seen twice
  const outer = tracer.startSpan(
    'openai.chat',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.prompt_tokens': 100,
        'gen_ai.usage.completion_tokens': 20,
      },
    },
    ROOT_CONTEXT,
  );
  tracer
    .startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 20,
        },
      },
      trace.setSpan(ROOT_CONTEXT, outer),
    )
    .end();
  outer.end();
  await new AgentTracer({ agentName: 'billing', tracerProvider: provider }).run(async (run) => {
    await run.step('model', 'classify', { model: 'gpt-4o', provider: 'openai' }, async (s) =>
      s.setUsage({ inputTokens: 200, outputTokens: 20 }),
    );
  });
  await provider.forceFlush();
  await provider.shutdown();
}, 120_000);

afterAll(async () => {
  await store?.close();
});

describe('getStats', () => {
  it('shows a run without an agent span under its run name, tokens and cost counted once', async () => {
    const byAgent = await getStats(store.client, { by: 'agent' });
    expect(
      byAgent.map((r) => [r.agent, r.runs, r.calls, r.input_tokens, r.output_tokens]).sort(),
    ).toEqual([
      ['bare-svc', 1, 1, 100, 20],
      ['billing', 1, 1, 200, 20],
    ]);
    const bare = byAgent.find((r) => r.agent === 'bare-svc')!;
    expect(bare.success_rate).toBe(1);
    expect(bare.p50_ms).toBeGreaterThanOrEqual(0);
    // gpt-4o: 100 × $2.50 + 20 × $10.00 per million tokens
    expect(bare.cost_usd).toBeCloseTo(0.00045, 9);
    const filtered = await getStats(store.client, { by: 'version', agent: 'bare-svc' });
    expect(filtered.map((r) => [r.agent, r.key, r.runs, r.calls])).toEqual([
      ['bare-svc', '', 1, 1],
    ]);
  });
});
