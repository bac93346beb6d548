/**
 * agent_regression_run_facts (0037) on the real engine with runs made by the
 * SDK: one row per run with the run span's arm, status, start and duration
 * and per priced model its tokens, the same tokens agent_run_facts holds; the
 * same rows whether the spans arrive after the migration (its materialized
 * view) or were stored before it (its backfill); and steps inserted apart
 * from their run span land in a row without it (is_run = 0).
 */
import { context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { migrate } from '../src/migrate.js';
import { createStore, type Store } from '../src/store.js';
import { removeDataPath, rows, tempDataPath, uniqueDatabase } from './helpers/chdb-db.js';
import { AlsContextManager } from './support/als-context-manager.js';
import { exportSpans } from './support/spans.js';

const dataPath = tempDataPath('agenttrace-regression-facts-');
let store: Store;
let spans: ReadableSpan[];

/** Runs of two agents: one model a run, or two models and a tool step, some failing. */
async function sdkSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(memory))],
  });
  const one = new AgentTracer({
    agentName: 'facts_one',
    agentVersion: '1.0.0',
    tracerProvider: provider,
  });
  const two = new AgentTracer({
    agentName: 'facts_two',
    agentVersion: '2.0.0',
    tracerProvider: provider,
  });
  for (let i = 0; i < 4; i++) {
    await one
      .run({ variant: 'a' }, async (run) => {
        await run.step('model', 'answer', { model: 'gpt-4o-mini', provider: 'openai' }, async (s) =>
          s.setUsage({ inputTokens: 100 + i, outputTokens: 10 }),
        );
        if (i === 0) throw new Error('wrong answer');
      })
      .catch(() => undefined);
    await two.run(async (run) => {
      await run.step('model', 'plan', { model: 'gpt-4o', provider: 'openai' }, async (s) =>
        s.setUsage({ inputTokens: 1_000, outputTokens: 200 + i }),
      );
      await run.step('tool', 'search', async () => undefined);
      await run.step('model', 'answer', { model: 'gpt-4o-mini', provider: 'openai' }, async (s) =>
        s.setUsage({ inputTokens: 50, outputTokens: 5 }),
      );
    });
  }
  await provider.forceFlush();
  const finished = memory.getFinishedSpans();
  await provider.shutdown();
  return finished;
}

async function exportTo(database: string, batch: ReadableSpan[]): Promise<void> {
  const exporter = new ClickHouseSpanExporter({ store, database });
  expect((await exportSpans(exporter, batch)).code).toBe(0);
  await exporter.shutdown();
}

/** Each run's facts, its rows merged as the engine merges them. */
const FACTS = (db: string) => `
  SELECT run_id, run_hash = cityHash64(run_id) AS hashed, max(is_run) AS is_run, max(agent) AS agent,
      max(agent_version) AS agent_version, max(variant) AS variant, max(status) AS status,
      max(started_at) AS started_at, max(duration_ms) AS duration_ms,
      sumMap(model_tokens) AS model_tokens, minMap(model_seen) AS model_seen
  FROM ${db}.agent_regression_run_facts
  GROUP BY run_id, run_hash ORDER BY agent, run_id`;

beforeAll(async () => {
  context.setGlobalContextManager(new AlsContextManager().enable());
  store = createStore({ path: dataPath });
  spans = await sdkSpans();
}, 60_000);

afterAll(async () => {
  await store.close();
  removeDataPath(dataPath);
});

describe('agent_regression_run_facts', () => {
  it('holds each run with its arm and, per priced model, the tokens agent_run_facts holds', async () => {
    const db = uniqueDatabase();
    await migrate(store.client, { database: db });
    await exportTo(db, spans);
    const facts = await rows<Record<string, unknown>>(store.client, FACTS(db));
    expect(facts).toHaveLength(8);
    expect(
      facts.map((f) => [f['agent'], f['agent_version'], f['variant'], f['is_run'], f['hashed']]),
    ).toEqual([
      ...Array.from({ length: 4 }, () => ['facts_one', '1.0.0', 'a', 1, 1]),
      ...Array.from({ length: 4 }, () => ['facts_two', '2.0.0', '', 1, 1]),
    ]);
    expect(facts.filter((f) => f['status'] === 'failure')).toHaveLength(1);
    expect(facts[4]?.['model_tokens']).toEqual([
      ['gpt-4o', 'gpt-4o-mini'],
      [1, 1],
      [1_000, 50],
      [expect.any(Number), 5],
      [0, 0],
    ]);
    const tokens = await rows<{ run_id: string; model: string; input: number; output: number }>(
      store.client,
      `SELECT run_id, model, sum(input_tokens) AS input, sum(output_tokens) AS output
        FROM ${db}.agent_run_facts WHERE model != '' GROUP BY run_id, model ORDER BY run_id, model`,
    );
    const folded = facts
      .flatMap((f) => {
        const [models, , input, output] = f['model_tokens'] as [
          string[],
          number[],
          number[],
          number[],
        ];
        return models.map((model, i) => ({
          run_id: String(f['run_id']),
          model,
          input: input[i],
          output: output[i],
        }));
      })
      .sort((a, b) => `${a.run_id} ${a.model}`.localeCompare(`${b.run_id} ${b.model}`));
    expect(folded).toEqual(tokens);
  }, 60_000);

  it('backfills spans stored before the migration into the same rows', async () => {
    const live = uniqueDatabase();
    await migrate(store.client, { database: live });
    await exportTo(live, spans);
    const before = uniqueDatabase();
    await store.client.command({ query: `CREATE DATABASE ${before}` });
    await store.client.command({
      query: `CREATE TABLE ${before}.otel_traces AS ${live}.otel_traces`,
    });
    await exportTo(before, spans);
    await migrate(store.client, { database: before });
    const backfilled = await rows(store.client, FACTS(before));
    expect(backfilled).toHaveLength(8);
    expect(backfilled).toEqual(await rows(store.client, FACTS(live)));
  }, 120_000);

  it('keeps steps inserted apart from their run span in a row without it', async () => {
    const db = uniqueDatabase();
    await migrate(store.client, { database: db });
    const isRun = (s: ReadableSpan) => s.attributes['gen_ai.operation.name'] === 'invoke_agent';
    await exportTo(
      db,
      spans.filter((s) => !isRun(s)),
    );
    await exportTo(db, spans.filter(isRun));
    const split = await rows<{ is_run: number; n: number }>(
      store.client,
      `SELECT is_run, count() AS n FROM ${db}.agent_regression_run_facts GROUP BY is_run ORDER BY is_run`,
    );
    // 8 runs: 8 rows of steps only, 8 rows of run spans (until the engine merges them)
    expect(split).toEqual([
      { is_run: 0, n: 8 },
      { is_run: 1, n: 8 },
    ]);
    const merged = await rows<Record<string, unknown>>(store.client, FACTS(db));
    const whole = uniqueDatabase();
    await migrate(store.client, { database: whole });
    await exportTo(whole, spans);
    expect(merged).toEqual(await rows(store.client, FACTS(whole)));
  }, 120_000);
});
