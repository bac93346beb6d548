/**
 * listRegressions on arms larger than the sample the Mann–Whitney U tests
 * rank (runs made with the SDK, `sampleSize` lowered to 60 so an arm of 400
 * runs is sampled): a planted regression is still flagged, a near miss is
 * not, the sample is the same on every query, and the counts, rates, p95 and
 * mean cost are still those of every run (the mean cost equal to agent_runs').
 */
import type * as NodeCrypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listRegressions, type RegressionRow } from '../src/index.js';
import { regressionSpans, writeRegressionRuns, type ArmSpec } from './support/regression-runs.js';

/**
 * Run ids drawn in a fixed sequence (UUID-shaped hashes of a counter), so
 * each arm's hash sample holds the same runs on every test run: with random
 * ids a near miss is flagged by chance in some runs (a U test at p < 0.05
 * on about 60 runs a side), as it was in one CI run of 4d57ed0.
 */
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof NodeCrypto>();
  let drawn = 0;
  const randomUUID = (): `${string}-${string}-${string}-${string}-${string}` => {
    const h = crypto.createHash('sha256').update(`regressions-sample ${drawn++}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return { ...crypto, default: { ...crypto, randomUUID }, randomUUID };
});

const RUNS = 400;
const SAMPLE = 60;
/** 100..139 ms, one each per 40 runs. */
const spread = (base: number) => (i: number) => base + (i % 40);

const ARMS: readonly ArmSpec[] = [
  {
    agent: 'big_fire',
    version: '1.0.0',
    runs: RUNS,
    failures: 8,
    model: 'gpt-4o-mini',
    durationMs: spread(100),
  },
  {
    agent: 'big_near',
    version: '1.0.0',
    runs: RUNS,
    failures: 8,
    model: 'gpt-4o-mini',
    durationMs: spread(100),
  },
  // Candidates second: the newest version is the one whose first run is latest.
  // big_fire 2.0.0: 25 ms slower (well inside the baseline's 40 ms spread), pricier model, fails more.
  {
    agent: 'big_fire',
    version: '2.0.0',
    runs: RUNS,
    failures: 40,
    model: 'gpt-4o',
    durationMs: spread(125),
  },
  // big_near 2.0.0: 1 ms slower, one failure more, same model: nothing to flag.
  {
    agent: 'big_near',
    version: '2.0.0',
    runs: RUNS,
    failures: 9,
    model: 'gpt-4o-mini',
    durationMs: spread(101),
  },
];

let store: Store;

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-regressions-sample-')) });
  await migrate(store.client);
  await writeRegressionRuns(store, ARMS);
}, 180_000);

afterAll(async () => {
  await store?.close();
});

const byMetric = (rows: RegressionRow[]) => Object.fromEntries(rows.map((r) => [r.metric, r]));

describe('listRegressions on arms larger than the sample', () => {
  it('flags a planted regression on every metric from a sample of each arm', async () => {
    const rows = byMetric(
      await listRegressions(store.client, { agent: 'big_fire', sampleSize: SAMPLE }),
    );
    for (const metric of ['success_rate', 'p95_latency_ms', 'cost_per_run_usd'])
      expect([metric, rows[metric]?.verdict]).toEqual([metric, 'regressed']);
    // every run is counted, the U tests rank a sample
    expect(rows.success_rate).toMatchObject({ baseline_runs: RUNS, candidate_runs: RUNS });
    expect(rows.success_rate?.baseline_value).toBeCloseTo(392 / 400, 12);
    expect(rows.success_rate?.candidate_value).toBeCloseTo(360 / 400, 12);
    expect(rows.p95_latency_ms?.p_value).toBeLessThan(1e-4);
  });

  it('does not flag a near miss', async () => {
    const rows = await listRegressions(store.client, { agent: 'big_near', sampleSize: SAMPLE });
    expect(rows.map((r) => [r.metric, r.verdict])).toEqual([
      ['success_rate', 'no_regression'],
      ['p95_latency_ms', 'no_regression'],
      ['cost_per_run_usd', 'no_regression'],
    ]);
    for (const r of rows) expect(r.p_value).toBeGreaterThan(0.05);
  });

  it('ranks the same sample on every query, a smaller one than the whole arm', async () => {
    const first = await listRegressions(store.client, { agent: 'big_fire', sampleSize: SAMPLE });
    const again = await listRegressions(store.client, { agent: 'big_fire', sampleSize: SAMPLE });
    // the same sample, so the same p-values; means and p95 only as far as the
    // engine's parallel sums keep their order (the last bits)
    expect(again.map((r) => [r.metric, r.p_value, r.verdict, r.baseline_runs])).toEqual(
      first.map((r) => [r.metric, r.p_value, r.verdict, r.baseline_runs]),
    );
    for (const [r, a] of first.map((r, i) => [r, again[i]] as const))
      expect(a?.candidate_value).toBeCloseTo(r.candidate_value ?? NaN, 12);
    const whole = await listRegressions(store.client, { agent: 'big_fire', sampleSize: 10_000 });
    const sampled = byMetric(first).p95_latency_ms?.p_value ?? NaN;
    const all = byMetric(whole).p95_latency_ms?.p_value ?? NaN;
    // 400 runs a side give a far smaller p-value than about 60 a side
    expect(all).toBeLessThan(sampled / 1e6);
    // the figures over every run do not depend on the sample
    for (const [s, w] of first.map((r, i) => [r, whole[i]] as const)) {
      expect([s.metric, s.baseline_runs, s.candidate_runs]).toEqual([
        w?.metric,
        w?.baseline_runs,
        w?.candidate_runs,
      ]);
      expect(s.baseline_value).toBeCloseTo(w?.baseline_value ?? NaN, 12);
      expect(s.candidate_value).toBeCloseTo(w?.candidate_value ?? NaN, 12);
    }
  });

  it('gives the mean cost and p95 over every run, as agent_runs', async () => {
    const rows = byMetric(
      await listRegressions(store.client, { agent: 'big_fire', sampleSize: SAMPLE }),
    );
    const result = await store.client.query({
      query: `SELECT agent_version, avg(cost_usd) AS cost, quantileExactInclusive(0.95)(duration_ms) AS p95,
            count() AS runs
        FROM agent_runs WHERE agent = 'big_fire' GROUP BY agent_version ORDER BY agent_version`,
      format: 'JSONEachRow',
    });
    const runs = await result.json<{
      agent_version: string;
      cost: number;
      p95: number;
      runs: string;
    }>();
    expect(runs.map((r) => [r.agent_version, Number(r.runs)])).toEqual([
      ['1.0.0', RUNS],
      ['2.0.0', RUNS],
    ]);
    const [base, cand] = runs;
    expect(base?.cost).toBeGreaterThan(0);
    expect(rows.cost_per_run_usd?.baseline_value).toBeCloseTo(base?.cost ?? NaN, 12);
    expect(rows.cost_per_run_usd?.candidate_value).toBeCloseTo(cand?.cost ?? NaN, 12);
    expect(rows.p95_latency_ms?.baseline_value).toBeCloseTo(base?.p95 ?? NaN, 9);
    expect(rows.p95_latency_ms?.candidate_value).toBeCloseTo(cand?.p95 ?? NaN, 9);
  });
  it('prices each run at the price in effect when its model was seen, as agent_runs', async () => {
    // gpt-4o-mini gets a price from 2000 (in effect for every run: the list
    // price is from 1970) and one from next year (in effect for none): three
    // prices, the last in effect when the runs' model steps were seen applies
    await store.client.command({
      query: `INSERT INTO model_prices (provider, model, input_per_mtok, output_per_mtok,
            cached_input_per_mtok, effective_from)
        VALUES ('openai', 'gpt-4o-mini', 2, 4, 1, toDateTime('2000-01-01 00:00:00', 'UTC')),
            ('openai', 'gpt-4o-mini', 100, 100, 100, now() + INTERVAL 365 DAY)`,
    });
    const rows = byMetric(await listRegressions(store.client, { agent: 'big_near' }));
    const result = await store.client.query({
      query: `SELECT agent_version, avg(cost_usd) AS cost FROM agent_runs
        WHERE agent = 'big_near' GROUP BY agent_version ORDER BY agent_version`,
      format: 'JSONEachRow',
    });
    const [base, cand] = await result.json<{ agent_version: string; cost: number }>();
    // 500 input and 1,000 output tokens a run at 2 and 4 USD per million
    expect(base?.cost).toBeCloseTo(0.005, 12);
    expect(rows.cost_per_run_usd?.baseline_value).toBeCloseTo(base?.cost ?? NaN, 12);
    expect(rows.cost_per_run_usd?.candidate_value).toBeCloseTo(cand?.cost ?? NaN, 12);
  });
  it('adds the cost of steps stored apart from their run span to their run', async () => {
    const spans = await regressionSpans([
      {
        agent: 'big_split',
        version: '1.0.0',
        runs: 30,
        failures: 1,
        model: 'gpt-4o-mini',
        durationMs: spread(100),
      },
      {
        agent: 'big_split',
        version: '2.0.0',
        runs: 30,
        failures: 1,
        model: 'gpt-4o',
        durationMs: spread(100),
      },
    ]);
    const isRun = (span: ReadableSpan) =>
      span.attributes['gen_ai.operation.name'] === 'invoke_agent';
    const exporter = new ClickHouseSpanExporter({ store });
    const send = (batch: ReadableSpan[]) =>
      new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));
    // merges stopped: the steps' rows stay apart from the run spans' rows
    await store.client.command({ query: 'SYSTEM STOP MERGES agent_regression_run_facts' });
    try {
      expect((await send(spans.filter((span) => !isRun(span)))).code).toBe(0);
      expect((await send(spans.filter(isRun))).code).toBe(0);
      const rows = byMetric(await listRegressions(store.client, { agent: 'big_split' }));
      const result = await store.client.query({
        query: `SELECT agent_version, avg(cost_usd) AS cost, count() AS runs FROM agent_runs
          WHERE agent = 'big_split' GROUP BY agent_version ORDER BY agent_version`,
        format: 'JSONEachRow',
      });
      const [base, cand] = await result.json<{
        agent_version: string;
        cost: number;
        runs: string;
      }>();
      expect(base?.cost).toBeGreaterThan(0);
      expect(rows.cost_per_run_usd).toMatchObject({
        baseline_runs: 30,
        candidate_runs: 30,
        verdict: 'regressed',
      });
      expect(rows.cost_per_run_usd?.baseline_value).toBeCloseTo(base?.cost ?? NaN, 12);
      expect(rows.cost_per_run_usd?.candidate_value).toBeCloseTo(cand?.cost ?? NaN, 12);
    } finally {
      await store.client.command({ query: 'SYSTEM START MERGES agent_regression_run_facts' });
      await exporter.shutdown();
    }
  });
});
