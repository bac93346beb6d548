/**
 * agent_regressions on the real engine: a new version made with the SDK that
 * fails more, runs slower and costs more must be flagged on each metric with
 * its significance test; a new version that differs by chance must not.
 */
import { context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { migrate } from '../src/migrate.js';
import { createStore, type Store } from '../src/store.js';
import { removeDataPath, rows, tempDataPath, uniqueDatabase } from './helpers/chdb-db.js';
import { AlsContextManager } from './support/als-context-manager.js';
import { exportSpans } from './support/spans.js';

interface RegressionRow {
  agent: string;
  dimension: string;
  baseline: string;
  candidate: string;
  baseline_runs: number;
  candidate_runs: number;
  metric: string;
  baseline_value: number;
  candidate_value: number;
  p_value: number | null;
  regressed: number;
}

const RUNS_PER_ARM = 30;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One arm: `failures` of its runs fail; each run calls `model` for 1,000 output tokens. */
async function arm(
  provider: BasicTracerProvider,
  agentName: string,
  version: string,
  o: { failures: number; model: string; slowMs: number },
): Promise<void> {
  const tracer = new AgentTracer({ agentName, agentVersion: version, tracerProvider: provider });
  for (let i = 0; i < RUNS_PER_ARM; i++)
    await tracer
      .run(async (run) => {
        await run.step('model', 'answer', { model: o.model, provider: 'openai' }, async (s) => {
          s.setUsage({ inputTokens: 500, outputTokens: 1_000 });
          await sleep(o.slowMs);
        });
        if (i < o.failures) throw new Error('wrong answer');
      })
      .catch(() => undefined);
}

const dataPath = tempDataPath('agenttrace-regressions-');
let store: Store;
let got: RegressionRow[];

beforeAll(async () => {
  context.setGlobalContextManager(new AlsContextManager().enable());
  store = createStore({ path: dataPath });
  const db = uniqueDatabase();
  await migrate(store.client, { database: db });
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(memory))],
  });
  // Baselines first: the newest version is the one whose first run is latest.
  await arm(provider, 'reg_fire', '1.0.0', { failures: 1, model: 'gpt-4o-mini', slowMs: 0 });
  // the near miss's baseline waits 5 ms a run and its candidate none: on the same speed a
  // one-sided U test flags 1 pair in 20 by chance, and a CI run's load can slow one arm
  // for a while (one clean-clone run of e7b2ce6 saw the candidate's latency "regressed")
  await arm(provider, 'reg_near', '1.0.0', { failures: 1, model: 'gpt-4o-mini', slowMs: 5 });
  await arm(provider, 'reg_fire', '2.0.0', { failures: 12, model: 'gpt-4o', slowMs: 15 });
  await arm(provider, 'reg_near', '2.0.0', { failures: 2, model: 'gpt-4o-mini', slowMs: 0 });
  await provider.forceFlush();
  const exporter = new ClickHouseSpanExporter({ store, database: db });
  expect((await exportSpans(exporter, memory.getFinishedSpans())).code).toBe(0);
  await exporter.shutdown();
  await provider.shutdown();
  got = await rows<RegressionRow>(
    store.client,
    `SELECT * FROM ${db}.agent_regressions ORDER BY agent, dimension, metric`,
  );
}, 60_000);

afterAll(async () => {
  await store.close();
  removeDataPath(dataPath);
});

const of = (agent: string, metric: string) =>
  got.find((r) => r.agent === agent && r.dimension === 'version' && r.metric === metric);

describe('agent_regressions', () => {
  it('compares the newest version with the one before, on each metric', () => {
    expect(got.filter((r) => r.agent === 'reg_fire').map((r) => r.metric)).toEqual([
      'cost_per_run_usd',
      'p95_latency_ms',
      'success_rate',
    ]);
    expect(of('reg_fire', 'success_rate')).toMatchObject({
      baseline: '1.0.0',
      candidate: '2.0.0',
      baseline_runs: RUNS_PER_ARM,
      candidate_runs: RUNS_PER_ARM,
    });
    expect(of('reg_fire', 'success_rate')?.baseline_value).toBeCloseTo(29 / 30, 9);
    expect(of('reg_fire', 'success_rate')?.candidate_value).toBeCloseTo(18 / 30, 9);
  });

  it('flags a success-rate drop (z-test), slower runs and costlier runs (Mann-Whitney)', () => {
    for (const metric of ['success_rate', 'p95_latency_ms', 'cost_per_run_usd']) {
      const row = of('reg_fire', metric);
      expect([metric, row?.regressed]).toEqual([metric, 1]);
      expect(row?.p_value).toBeLessThan(0.05);
    }
    // 29/30 vs 18/30: pooled p = 47/60, z = -3.45, one-sided p = 0.00028.
    expect(of('reg_fire', 'success_rate')?.p_value).toBeCloseTo(0.000283, 5);
  });

  it('does not flag a version that differs by chance (29/30 vs 28/30, same model)', () => {
    for (const metric of ['success_rate', 'p95_latency_ms', 'cost_per_run_usd'])
      expect([metric, of('reg_near', metric)?.regressed]).toEqual([metric, 0]);
    expect(of('reg_near', 'success_rate')?.p_value).toBeGreaterThan(0.05);
  });
});
