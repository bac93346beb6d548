/**
 * listRegressions on the real engine with runs made by the SDK: a regressed
 * candidate is flagged on each metric with its test, a candidate from the
 * same distribution is not, too few runs say so rather than flag, and the
 * pairing, alpha and minimum-runs overrides and filter errors behave.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, migrate, type Store } from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidQueryError, listRegressions, type RegressionRow } from '../src/index.js';
import { REGRESSION_ARMS, writeRegressionRuns } from './support/regression-runs.js';

let store: Store;

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-regressions-query-')) });
  await migrate(store.client);
  await writeRegressionRuns(store, REGRESSION_ARMS);
}, 120_000);

afterAll(async () => {
  await store?.close();
});

const byMetric = (rows: RegressionRow[]) => Object.fromEntries(rows.map((r) => [r.metric, r]));

describe('listRegressions', () => {
  it('flags a candidate that fails more, runs slower and costs more, each with its test', async () => {
    const rows = await listRegressions(store.client, {
      agent: 'reg_fire',
      baseline: '1.0.0',
      candidate: '2.0.0',
    });
    expect(rows.map((r) => r.metric)).toEqual([
      'success_rate',
      'p95_latency_ms',
      'cost_per_run_usd',
    ]);
    for (const r of rows)
      expect(r).toMatchObject({
        agent: 'reg_fire',
        dimension: 'version',
        baseline: '1.0.0',
        candidate: '2.0.0',
        baseline_runs: 30,
        candidate_runs: 30,
        significant: 1,
        regressed: 1,
        verdict: 'regressed',
        alpha: 0.05,
        min_runs: 20,
      });
    const m = byMetric(rows);
    expect(m.success_rate?.baseline_value).toBeCloseTo(29 / 30, 9);
    expect(m.success_rate?.candidate_value).toBeCloseTo(18 / 30, 9);
    expect(m.success_rate?.change).toBeCloseTo(18 / 30 - 29 / 30, 9);
    // 29/30 vs 18/30: pooled p = 47/60, z = -3.45, one-sided p = 0.00028 (as agent_regressions).
    expect(m.success_rate?.p_value).toBeCloseTo(0.000283, 5);
    expect(m.p95_latency_ms?.baseline_value).toBeCloseTo(109, 0);
    expect(m.p95_latency_ms?.candidate_value).toBeCloseTo(139, 0);
    expect(m.p95_latency_ms?.p_value).toBeLessThan(1e-6);
    expect(m.cost_per_run_usd?.candidate_value).toBeGreaterThan(
      m.cost_per_run_usd?.baseline_value ?? Infinity,
    );
    expect(m.cost_per_run_usd?.relative_change).toBeGreaterThan(1);
  });

  it('picks the newest version and the one before when no pair is given', async () => {
    const auto = await listRegressions(store.client, { agent: 'reg_fire' });
    expect(auto.map((r) => [r.baseline, r.candidate, r.regressed])).toEqual([
      ['1.0.0', '2.0.0', 1],
      ['1.0.0', '2.0.0', 1],
      ['1.0.0', '2.0.0', 1],
    ]);
    const onlyCandidate = await listRegressions(store.client, {
      agent: 'reg_fire',
      candidate: '2.0.0',
    });
    expect(onlyCandidate.map((r) => r.baseline)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    const everyAgent = await listRegressions(store.client);
    expect([...new Set(everyAgent.map((r) => r.agent))]).toEqual([
      'reg_few',
      'reg_fire',
      'reg_near',
    ]);
  });

  it('does not flag a candidate from the same distribution', async () => {
    const rows = await listRegressions(store.client, {
      agent: 'reg_near',
      baseline: '1.0.0',
      candidate: '2.0.0',
    });
    expect(rows.map((r) => [r.metric, r.regressed, r.verdict])).toEqual([
      ['success_rate', 0, 'no_regression'],
      ['p95_latency_ms', 0, 'no_regression'],
      ['cost_per_run_usd', 0, 'no_regression'],
    ]);
    for (const r of rows) expect(r.p_value).toBeGreaterThan(0.05);
  });

  it('says too few runs rather than flagging, unless min_runs is lowered', async () => {
    const rows = await listRegressions(store.client, { agent: 'reg_few' });
    expect(rows.map((r) => [r.metric, r.regressed, r.verdict])).toEqual([
      ['success_rate', 0, 'too_few_runs'],
      ['p95_latency_ms', 0, 'too_few_runs'],
      ['cost_per_run_usd', 0, 'too_few_runs'],
    ]);
    // 5/5 vs 0/5 is significant on its own (the engine's proportionsZTest gives NaN
    // for an arm without successes; the written-out test does not); only the run
    // count holds it back.
    expect(byMetric(rows).success_rate).toMatchObject({ significant: 1, baseline_runs: 5 });
    const lowered = await listRegressions(store.client, { agent: 'reg_few', minRuns: '5' });
    expect(lowered.map((r) => r.verdict)).toEqual(['regressed', 'regressed', 'regressed']);
  });

  it('takes alpha per query', async () => {
    const strict = await listRegressions(store.client, { agent: 'reg_fire', alpha: 0.0001 });
    // one-sided p = 0.00028 > 0.0001; the latency and cost tests are far smaller
    expect(strict.map((r) => [r.metric, r.regressed])).toEqual([
      ['success_rate', 0],
      ['p95_latency_ms', 1],
      ['cost_per_run_usd', 1],
    ]);
  });

  it('compares each variant with the most-run one', async () => {
    const rows = await listRegressions(store.client, { dimension: 'variant', agent: 'reg_ab' });
    expect(rows.map((r) => [r.dimension, r.baseline, r.candidate, r.metric, r.regressed])).toEqual([
      ['variant', 'a', 'b', 'success_rate', 0],
      ['variant', 'a', 'b', 'p95_latency_ms', 0],
      ['variant', 'a', 'b', 'cost_per_run_usd', 1],
    ]);
    expect(rows[0]).toMatchObject({ baseline_runs: 30, candidate_runs: 25 });
  });

  it('answers an arm without runs with zero runs and no p-value', async () => {
    const rows = await listRegressions(store.client, {
      agent: 'reg_fire',
      baseline: '1.0.0',
      candidate: '9.9.9',
    });
    expect(rows).toHaveLength(3);
    for (const r of rows)
      expect(r).toMatchObject({
        candidate_runs: 0,
        candidate_value: null,
        p_value: null,
        significant: 0,
        verdict: 'too_few_runs',
      });
    expect(await listRegressions(store.client, { agent: 'nobody' })).toEqual([]);
    expect(
      await listRegressions(store.client, { since: new Date(Date.now() + 120_000).toISOString() }),
    ).toEqual([]);
  });

  it('reads the same per-run success, duration and cost as agent_runs', async () => {
    const rows = byMetric(
      await listRegressions(store.client, {
        agent: 'reg_fire',
        baseline: '1.0.0',
        candidate: '2.0.0',
      }),
    );
    const result = await store.client.query({
      query: `SELECT agent_version, avg(status = 'success') AS rate,
            quantile(0.95)(duration_ms) AS p95, avg(cost_usd) AS cost, count() AS runs
        FROM agent_runs WHERE agent = 'reg_fire' GROUP BY agent_version ORDER BY agent_version`,
      format: 'JSONEachRow',
    });
    const runs = await result.json<{
      agent_version: string;
      rate: number;
      p95: number;
      cost: number;
      runs: string;
    }>();
    const [base, cand] = runs;
    expect(runs.map((r) => [r.agent_version, Number(r.runs)])).toEqual([
      ['1.0.0', 30],
      ['2.0.0', 30],
    ]);
    expect(base?.cost).toBeGreaterThan(0);
    expect(rows.success_rate?.baseline_value).toBeCloseTo(base?.rate ?? NaN, 12);
    expect(rows.success_rate?.candidate_value).toBeCloseTo(cand?.rate ?? NaN, 12);
    expect(rows.p95_latency_ms?.baseline_value).toBeCloseTo(base?.p95 ?? NaN, 9);
    expect(rows.p95_latency_ms?.candidate_value).toBeCloseTo(cand?.p95 ?? NaN, 9);
    expect(rows.cost_per_run_usd?.baseline_value).toBeCloseTo(base?.cost ?? NaN, 12);
    expect(rows.cost_per_run_usd?.candidate_value).toBeCloseTo(cand?.cost ?? NaN, 12);
  });

  it('rejects bad filters naming the field, what was expected and what was given', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ alpha: '2' }, /^alpha must be a number between 0 and 1 .*\(got "2"\)$/],
      [{ alpha: 'x' }, /^alpha must be a number between 0 and 1 .*\(got "x"\)$/],
      [{ minRuns: '1' }, /^minRuns must be an integer in 2\.\.1000000 \(got "1"\)$/],
      [{ dimension: 'model' }, /^dimension must be one of .*"version".*\(got "model"\)$/],
      [{ since: 'soon' }, /^since must be a duration like 30m/],
      [{ baseline: '1.0', candidate: '1.0' }, /^candidate must be an arm other than the baseline/],
      [{ agent: "x'; DROP" }, /^agent must be a label/],
    ];
    for (const [input, message] of cases) {
      const err = await listRegressions(store.client, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidQueryError);
      expect((err as Error).message).toMatch(message);
    }
  });
});
