/**
 * agent_signals on the real engine: runs made with the SDK, exported by the
 * real exporter, must fire each signal; near-miss runs must not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { migrate } from '../src/migrate.js';
import { createStore } from '../src/store.js';
import type { Store } from '../src/store.js';
import { removeDataPath, rows, tempDataPath, uniqueDatabase } from './helpers/chdb-db.js';
import { makeSignalSpans } from './fixtures/signal-runs.js';
import { exportSpans } from './support/spans.js';

interface SignalRow {
  signal: string;
  level: string;
  run_id: string;
  agent: string;
  subject: string;
  value: number;
  threshold: number;
}

const dataPath = tempDataPath('agenttrace-signals-');
let store: Store;
let db: string;
let signals: SignalRow[];

const fired = (agent: string, signal?: string) =>
  signals.filter((s) => s.agent === agent && (signal === undefined || s.signal === signal));

beforeAll(async () => {
  store = createStore({ path: dataPath });
  db = uniqueDatabase();
  await migrate(store.client, { database: db });
  const spans = await makeSignalSpans();
  const exporter = new ClickHouseSpanExporter({ store, database: db });
  const result = await exportSpans(exporter, spans);
  expect(result.code).toBe(0);
  await exporter.shutdown();
  signals = await rows<SignalRow>(
    store.client,
    `SELECT signal, level, run_id, agent, subject, value, threshold FROM ${db}.agent_signals`,
  );
}, 60_000);

afterAll(async () => {
  await store.close();
  removeDataPath(dataPath);
});

describe('agent_signals', () => {
  it('fires loop on 5 first attempts of one step in a row, not on 4 or on 3 + 3 with progress', () => {
    expect(fired('loop_fire')).toEqual([
      expect.objectContaining({ signal: 'loop', subject: 'search_kb', value: 5, threshold: 5 }),
    ]);
    expect(fired('loop_near')).toEqual([]);
  });

  it('fires retry_storm on a step tried 5 times, not 4', () => {
    expect(fired('storm_fire')).toEqual([
      expect.objectContaining({ signal: 'retry_storm', subject: 'orders_api', value: 5 }),
    ]);
    expect(fired('storm_near')).toEqual([]);
  });

  it('fires retry_rate on 24 retries of one provider within seconds, not 9', () => {
    const rate = fired('rate_fire');
    // One minute, or two if the runs straddled a minute boundary.
    expect(rate.length).toBeGreaterThanOrEqual(1);
    expect(rate.length).toBeLessThanOrEqual(2);
    for (const row of rate)
      expect(row).toMatchObject({
        signal: 'retry_rate',
        level: 'agent',
        run_id: '',
        subject: 'openai',
        threshold: 10,
      });
    expect(rate.reduce((n, r) => n + r.value, 0)).toBeLessThanOrEqual(24);
    expect(Math.max(...rate.map((r) => r.value))).toBeGreaterThanOrEqual(12);
    expect(fired('rate_near')).toEqual([]);
  });

  it('fires fallback_cascade on two provider switches after failures, not one or after successes', () => {
    expect(fired('fallback_fire')).toEqual([
      expect.objectContaining({
        signal: 'fallback_cascade',
        subject: 'openai > anthropic > gcp.gemini',
        value: 2,
      }),
    ]);
    expect(fired('fallback_near')).toEqual([]);
  });

  it('fires token_budget above 100,000 tokens and cost_budget above $1, not just below', () => {
    expect(fired('token_fire')).toEqual([
      expect.objectContaining({ signal: 'token_budget', value: 100_001, threshold: 100_000 }),
    ]);
    expect(fired('token_near')).toEqual([]);
    const cost = fired('cost_fire');
    expect(cost).toHaveLength(1);
    expect(cost[0]).toMatchObject({ signal: 'cost_budget', threshold: 1 });
    expect(cost[0]?.value).toBeCloseTo(1.05, 6);
    expect(fired('cost_near')).toEqual([]);
  });

  it('fires latency_p99 on a run far above the p99 of 100 runs, not with too few runs', () => {
    const slow = fired('latency_fire');
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ signal: 'latency_p99', threshold: 1.5 });
    expect(slow[0]?.value).toBeGreaterThan(1.5);
    expect(fired('latency_near')).toEqual([]);
  });

  it('fires failure_propagated on the parent of a failed nested run and fork, not when it recovered', () => {
    expect(fired('prop_fire')).toEqual([
      expect.objectContaining({ signal: 'failure_propagated', level: 'run' }),
    ]);
    expect(fired('prop_fork_fire')).toEqual([
      expect.objectContaining({ signal: 'failure_propagated' }),
    ]);
    expect(fired('prop_near')).toEqual([]);
    expect(fired('prop_child')).toEqual([]);
    // The subject is the failed child run, a run of its own.
    const child = fired('prop_fire')[0]?.subject;
    expect(child).toMatch(/^[0-9a-f-]{36}$/);
    expect(child).not.toBe(fired('prop_fire')[0]?.run_id);
  });

  it('fires nothing else', () => {
    const expected = new Set([
      'loop_fire',
      'storm_fire',
      'rate_fire',
      'fallback_fire',
      'token_fire',
      'cost_fire',
      'latency_fire',
      'prop_fire',
      'prop_fork_fire',
    ]);
    expect(signals.filter((s) => !expected.has(s.agent))).toEqual([]);
  });
});
