/**
 * Migration 0021 on chDB: cache writes under the old and the new name, and
 * handoffs and workflows in the views. SDK spans go through the allowlist
 * and the exporter; the store "written before" the cache_write rename is
 * made of rows with the old attribute name, inserted as an older SDK or
 * collector stored them.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter, createStore, migrate, type Store } from '../src/index.js';
import { insertSpans, runId, runSpan, stepSpan, traceId } from './support/rows.js';
import { tempDir } from './support/store.js';

let store: Store;
const DB = 'default';
const ids: Record<string, string> = {};

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  store = createStore({ path: tempDir('genai') });
  await migrate(store.client);

  // rows as stored before the rename: the cache write under cache_creation
  const oldTrace = traceId();
  ids.oldRun = runId();
  const start = Date.now() - 60_000;
  await insertSpans(store.client, DB, [
    runSpan({
      traceId: oldTrace,
      runId: ids.oldRun,
      agent: 'legacy',
      startMs: start,
      durationMs: 50,
    }),
    stepSpan({
      traceId: oldTrace,
      runId: ids.oldRun,
      agent: 'legacy',
      type: 'model',
      stepName: 'answer',
      model: 'claude-sonnet-4-5',
      inputTokens: 100,
      startMs: start + 1,
      durationMs: 20,
      attributes: { 'gen_ai.usage.cache_creation.input_tokens': 30 },
    }),
  ]);

  // SDK spans, through the allowlist and the exporter
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 20 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'genai-test' }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const support = new AgentTracer({ agentName: 'support', tracerProvider: provider });
  const billing = new AgentTracer({ agentName: 'billing', tracerProvider: provider });
  await support.workflow('support_pipeline', () =>
    support.run(async (run) => {
      ids.support = run.id;
      run.step('model', 'answer', { model: 'claude-sonnet-4-5' }, (s) =>
        s.setUsage({ inputTokens: 200, cacheWriteInputTokens: 40 }),
      );
      await run.handoff('billing', () =>
        billing.run(async (b) => {
          ids.billing = b.id;
          // the earlier usage field name: stored under cache_write as well
          b.step('model', 'invoice', { model: 'claude-sonnet-4-5' }, (s) =>
            s.setUsage({ inputTokens: 10, cacheCreationInputTokens: 5 }),
          );
        }),
      );
    }),
  );
  await provider.forceFlush();
  await provider.shutdown();
});

afterAll(async () => {
  await store?.close();
});

async function selectRows<T>(
  client: Store['client'],
  query: string,
  params: Record<string, string> = {},
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

describe('0021: the GenAI conventions in the views', () => {
  it('reports cache writes stored under cache_creation (before the rename) and under cache_write', async () => {
    const rows = await selectRows<{
      run_id: string;
      step_name: string;
      cache_creation_tokens: number;
      cache_write_tokens: number;
    }>(
      store.client,
      `SELECT run_id, step_name, cache_creation_tokens, cache_write_tokens FROM agent_steps
       WHERE step_type = 'model' ORDER BY cache_write_tokens`,
    );
    expect(rows.map((r) => [r.run_id, r.step_name, Number(r.cache_write_tokens)])).toEqual([
      [ids.billing, 'invoice', 5],
      [ids.oldRun, 'answer', 30],
      [ids.support, 'answer', 40],
    ]);
    for (const r of rows)
      expect(Number(r.cache_creation_tokens)).toBe(Number(r.cache_write_tokens));
    // nothing stored under the old name by the SDK
    const old = await selectRows<{ n: number }>(
      store.client,
      `SELECT count() AS n FROM otel_traces
       WHERE mapContains(SpanAttributes, 'gen_ai.usage.cache_creation.input_tokens')
         AND SpanAttributes['agenttrace.run.id'] != {old:String}`,
      { old: ids.oldRun! },
    );
    expect(Number(old[0]!.n)).toBe(0);
  });

  it('lists the handoff from support to billing, with the run billing started', async () => {
    const rows = await selectRows<Record<string, unknown>>(
      store.client,
      `SELECT from_run_id, from_agent, to_agent, to_run_id, mode, tool, status FROM agent_handoffs`,
    );
    expect(rows).toEqual([
      {
        from_run_id: ids.support,
        from_agent: 'support',
        to_agent: 'billing',
        to_run_id: ids.billing,
        mode: 'pass_control',
        tool: 'handoff',
        status: 'unset',
      },
    ]);
    const steps = await selectRows<Record<string, unknown>>(
      store.client,
      `SELECT step_type, step_name, transfer_mode, transfer_target FROM agent_steps
       WHERE run_id = {run:String} AND step_type = 'tool'`,
      { run: ids.support! },
    );
    expect(steps).toEqual([
      {
        step_type: 'tool',
        step_name: 'handoff',
        transfer_mode: 'pass_control',
        transfer_target: 'billing',
      },
    ]);
    const runs = await selectRows<{ run_id: string; origin: string; parent_run_id: string }>(
      store.client,
      `SELECT run_id, origin, parent_run_id FROM agent_runs WHERE run_id = {run:String}`,
      { run: ids.billing! },
    );
    expect(runs).toEqual([{ run_id: ids.billing, origin: 'nested', parent_run_id: ids.support }]);
  });

  it('lists the workflow the runs ran in', async () => {
    const rows = await selectRows<{ workflow: string; status: string; trace_id: string }>(
      store.client,
      `SELECT workflow, status, trace_id FROM agent_workflows`,
    );
    const runs = await selectRows<{ trace_id: string }>(
      store.client,
      `SELECT trace_id FROM agent_runs WHERE run_id = {run:String}`,
      { run: ids.support! },
    );
    expect(rows).toEqual([
      { workflow: 'support_pipeline', status: 'unset', trace_id: runs[0]!.trace_id },
    ]);
  });
});
