/**
 * agent_signals_window (0024) over the inputs folded on insert (0023), on the
 * real engine with SDK-made runs: the same signals however the spans of a
 * run are split over inserts, after a backfill of spans stored before 0023,
 * with thresholds overridden per query, and only within the given range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { migrate } from '../src/migrate.js';
import { createStore } from '../src/store.js';
import type { Store } from '../src/store.js';
import { removeDataPath, rows, tempDataPath, uniqueDatabase } from './helpers/chdb-db.js';
import { makeSignalSpans } from './fixtures/signal-runs.js';
import { exportSpans } from './support/spans.js';
import { insertSpans, runId, runSpan, spanId, traceId } from './support/rows.js';

interface SignalRow {
  signal: string;
  run_id: string;
  agent: string;
  subject: string;
  value: number;
  threshold: number;
  detected_at: string;
}

const DEFAULTS: Record<string, number> = {
  loop_min: 5,
  retry_storm_min: 5,
  retry_rate_min: 10,
  fallback_min: 2,
  budget_tokens: 100_000,
  budget_usd: 1,
  latency_factor: 1.5,
  latency_min_runs: 100,
};

const dataPath = tempDataPath('agenttrace-signals-window-');
let store: Store;
let spans: ReadableSpan[];
/** One export of every span. */
let whole: string;
/** The same spans dealt round-robin into 8 inserts, last first: a run's spans land in several. */
let split: string;

async function load(db: string, batches: ReadableSpan[][]): Promise<void> {
  await migrate(store.client, { database: db });
  const exporter = new ClickHouseSpanExporter({ store, database: db });
  for (const batch of batches) expect((await exportSpans(exporter, batch)).code).toBe(0);
  await exporter.shutdown();
}

const COLUMNS =
  'signal, run_id, agent, subject, value, threshold, toString(detected_at) AS detected_at';
const ORDER = 'ORDER BY signal, agent, run_id, subject, detected_at';

function windowSql(db: string, overrides: Record<string, number> = {}, range?: [Date, Date]) {
  const [since, until] = range ?? [new Date(0), new Date(Date.UTC(2106, 0, 1))];
  const args = Object.entries({ ...DEFAULTS, ...overrides })
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  const at = (d: Date) => `'${d.toISOString().slice(0, 23).replace('T', ' ')}'`;
  return `SELECT ${COLUMNS} FROM ${db}.agent_signals_window(since = ${at(since)}, until = ${at(until)}, ${args}) ${ORDER}`;
}

const fired = (list: SignalRow[], agent: string, signal: string) =>
  list.filter((s) => s.agent === agent && s.signal === signal);

beforeAll(async () => {
  store = createStore({ path: dataPath });
  spans = await makeSignalSpans();
  whole = uniqueDatabase();
  await load(whole, [spans]);
  split = uniqueDatabase();
  const batches: ReadableSpan[][] = Array.from({ length: 8 }, () => []);
  spans.forEach((span, i) => batches[i % 8]?.push(span));
  await load(split, batches.reverse());
}, 600_000);

afterAll(async () => {
  await store.close();
  removeDataPath(dataPath);
});

describe('agent_signals_window', () => {
  it('gives agent_signals for the default thresholds over all history', async () => {
    const all = await rows<SignalRow>(
      store.client,
      `SELECT ${COLUMNS} FROM ${whole}.agent_signals ${ORDER}`,
    );
    expect(new Set(all.map((r) => r.signal)).size).toBe(8);
    expect(await rows<SignalRow>(store.client, windowSql(whole))).toEqual(all);
  });

  it('gives the same signals when the spans of each run arrive in many inserts', async () => {
    const a = await rows<SignalRow>(store.client, windowSql(whole));
    const b = await rows<SignalRow>(store.client, windowSql(split));
    expect(b).toEqual(a);
    const loose = { loop_min: 3, retry_storm_min: 2, fallback_min: 1, budget_tokens: 1 };
    expect(await rows<SignalRow>(store.client, windowSql(split, loose))).toEqual(
      await rows<SignalRow>(store.client, windowSql(whole, loose)),
    );
  });

  it('backfills from spans stored before its migration', { timeout: 300_000 }, async () => {
    const db = uniqueDatabase();
    await load(db, [spans]);
    for (const q of [
      `DROP VIEW ${db}.agent_signals`,
      `DROP VIEW ${db}.agent_signals_window`,
      `DROP TABLE ${db}.agent_signal_run_facts_mv`,
      `DROP TABLE ${db}.agent_signal_retries_mv`,
      `DROP TABLE ${db}.agent_signal_run_flags_mv`,
      `DROP TABLE ${db}.agent_signal_run_facts`,
      `DROP TABLE ${db}.agent_signal_retries`,
      `DROP TABLE ${db}.agent_signal_run_flags`,
      `DELETE FROM ${db}.agenttrace_migrations WHERE version IN (23, 24, 32, 33)`,
      `DELETE FROM ${db}.agenttrace_migration_steps WHERE version IN (23, 24, 32, 33)`,
    ])
      await store.client.command({ query: q });
    const result = await migrate(store.client, { database: db });
    expect(result.applied.map((m) => m.version)).toEqual([23, 24, 32, 33]);
    expect(await rows<SignalRow>(store.client, windowSql(db))).toEqual(
      await rows<SignalRow>(store.client, windowSql(whole)),
    );
  });

  it('fires the near misses once their thresholds are lowered', async () => {
    // whole: read from the answers folded on insert (0032); split: from the steps
    for (const db of [split, whole]) await nearMissesFire(db);
  });

  it('answers from the folded row of a run stored in one insert, from the steps otherwise', async () => {
    const loopRun = spans.find(
      (s) =>
        s.attributes['gen_ai.agent.name'] === 'loop_fire' &&
        s.attributes['gen_ai.operation.name'] === 'invoke_agent',
    );
    const runId = String(loopRun?.attributes['agenttrace.run.id']);
    const folded = await rows<{ inserts: number; is_run: number; streaks: number[] }>(
      store.client,
      `SELECT inserts, is_run, arrayMap(l -> length(l.2), loops) AS streaks
       FROM ${whole}.agent_signal_run_flags FINAL WHERE run_id = '${runId}'`,
    );
    expect(folded).toEqual([{ inserts: 1, is_run: 1, streaks: [5] }]);
    const spread = await rows<{ inserts: number }>(
      store.client,
      `SELECT sum(inserts) AS inserts FROM ${split}.agent_signal_run_flags WHERE run_id = '${runId}'`,
    );
    expect(spread[0]?.inserts).toBeGreaterThan(1);
  });

  it('gives the same signals once a run split over inserts is merged into one row', async () => {
    const merged = uniqueDatabase();
    const batches: ReadableSpan[][] = Array.from({ length: 8 }, () => []);
    spans.forEach((span, i) => batches[i % 8]?.push(span));
    await load(merged, batches);
    for (const t of ['agent_signal_run_flags', 'agent_signal_run_facts'])
      await store.client.command({ query: `OPTIMIZE TABLE ${merged}.${t} FINAL` });
    const rowsPerRun = await rows<{ n: number; merged: number }>(
      store.client,
      `SELECT max(c) AS n, countIf(i > 1) AS merged FROM (
         SELECT run_id, count() AS c, sum(inserts) AS i FROM ${merged}.agent_signal_run_flags
         GROUP BY day, run_id)`,
    );
    expect(rowsPerRun[0]?.n).toBe(1);
    expect(rowsPerRun[0]?.merged).toBeGreaterThan(0);
    const thresholdSets: Record<string, number>[] = [
      {},
      { loop_min: 3, retry_storm_min: 2, fallback_min: 1, budget_tokens: 1 },
    ];
    for (const t of thresholdSets)
      expect(await rows<SignalRow>(store.client, windowSql(merged, t))).toEqual(
        await rows<SignalRow>(store.client, windowSql(whole, t)),
      );
  });

  it('reads the steps when a threshold is below what is folded (loop_min = 1)', async () => {
    const list = await rows<SignalRow>(store.client, windowSql(whole, { loop_min: 1 }));
    expect(list).toEqual(await rows<SignalRow>(store.client, windowSql(split, { loop_min: 1 })));
    // every first attempt is a loop of 1 at loop_min = 1
    expect(list.filter((r) => r.signal === 'loop' && r.value === 1).length).toBeGreaterThan(10);
  });

  async function nearMissesFire(db: string): Promise<void> {
    const list = await rows<SignalRow>(
      store.client,
      windowSql(db, {
        loop_min: 3,
        retry_storm_min: 4,
        retry_rate_min: 9,
        fallback_min: 1,
        budget_tokens: 99_998,
        budget_usd: 0.97,
        latency_min_runs: 50,
      }),
    );
    // 4 repeats, and 3 + 3 with a step between: three streaks of 3 or more
    expect(fired(list, 'loop_near', 'loop').map((r) => r.value)).toEqual(
      expect.arrayContaining([4, 3, 3]),
    );
    expect(fired(list, 'loop_near', 'loop')).toHaveLength(3);
    expect(fired(list, 'loop_near', 'loop').every((r) => r.threshold === 3)).toBe(true);
    expect(fired(list, 'storm_near', 'retry_storm')).toEqual([
      expect.objectContaining({ subject: 'orders_api', value: 4, threshold: 4 }),
    ]);
    expect(fired(list, 'rate_near', 'retry_rate').length).toBeGreaterThanOrEqual(1);
    // one switch after a failure fires at 1; switches after successes still do not
    expect(fired(list, 'fallback_near', 'fallback_cascade')).toEqual([
      expect.objectContaining({ subject: 'openai > anthropic', value: 1, threshold: 1 }),
    ]);
    expect(fired(list, 'token_near', 'token_budget')).toEqual([
      expect.objectContaining({ value: 99_999, threshold: 99_998 }),
    ]);
    expect(fired(list, 'cost_near', 'cost_budget')).toHaveLength(1);
    expect(fired(list, 'cost_near', 'cost_budget')[0]?.value).toBeCloseTo(0.975, 6);
    expect(fired(list, 'latency_near', 'latency_p99')).toHaveLength(1);
  }

  it('stops firing when thresholds are raised', async () => {
    const list = await rows<SignalRow>(
      store.client,
      windowSql(whole, {
        loop_min: 6,
        retry_storm_min: 6,
        retry_rate_min: 25,
        fallback_min: 3,
        budget_tokens: 100_001,
        budget_usd: 1.06,
        latency_factor: 1e6,
      }),
    );
    expect(list.filter((r) => r.signal !== 'failure_propagated')).toEqual([]);
  });

  it('fires failure_propagated for a child that seems to end up to 50 ms after its parent, not later', async () => {
    // Start times are wall-clock milliseconds and durations monotonic: a stepped wall
    // clock (10 ms steps measured on this machine) moves a child's end past its parent's.
    const db = uniqueDatabase();
    await migrate(store.client, { database: db });
    const t0 = Date.UTC(2026, 2, 3, 12, 0, 0);
    const pair = (agent: string, childEndsAfterMs: number) => {
      const trace = traceId();
      const parent = runId();
      const parentSpan = spanId();
      return [
        runSpan({
          traceId: trace,
          spanId: parentSpan,
          runId: parent,
          agent,
          runStatus: 'failure',
          startMs: t0,
          durationMs: 100,
        }),
        runSpan({
          traceId: trace,
          parentSpanId: parentSpan,
          runId: runId(),
          agent: `${agent}_child`,
          runStatus: 'failure',
          origin: 'nested',
          parentRunId: parent,
          startMs: t0 + 20,
          durationMs: 80 + childEndsAfterMs,
        }),
      ];
    };
    await insertSpans(store.client, db, [...pair('skewed', 10), ...pair('later', 60)]);
    const got = await rows<SignalRow>(store.client, windowSql(db));
    expect(got.filter((r) => r.signal === 'failure_propagated').map((r) => r.agent)).toEqual([
      'skewed',
    ]);
  });

  it('returns a retry_rate minute that overlaps [since, until), not only one starting in it', async () => {
    const all = await rows<SignalRow>(store.client, windowSql(whole));
    const rate = fired(all, 'rate_fire', 'retry_rate');
    expect(rate.length).toBeGreaterThanOrEqual(1);
    const minute = Date.parse(`${rate[0]?.detected_at.replace(' ', 'T')}Z`);
    // `agenttrace signals --since <a moment inside the minute>`, as the demo asks
    const inside = await rows<SignalRow>(
      store.client,
      windowSql(whole, {}, [new Date(minute + 30_000), new Date(minute + 90_000)]),
    );
    expect(fired(inside, 'rate_fire', 'retry_rate').map((r) => r.detected_at)).toContain(
      rate[0]?.detected_at,
    );
    const later = await rows<SignalRow>(
      store.client,
      windowSql(whole, {}, [new Date(minute + 60_000), new Date(minute + 120_000)]),
    );
    expect(fired(later, 'rate_fire', 'retry_rate').map((r) => r.detected_at)).not.toContain(
      rate[0]?.detected_at,
    );
  });

  it('returns only signals detected in [since, until) (a retry_rate minute: overlapping it)', async () => {
    const all = await rows<SignalRow>(store.client, windowSql(whole));
    const times = all.map((r) => Date.parse(`${r.detected_at.replace(' ', 'T')}Z`)).sort();
    const first = times[0] ?? 0;
    const last = times[times.length - 1] ?? 0;
    // from the next minute on: a retry_rate minute overlapping the range is in it
    const nextMinute = Math.floor(last / 60_000) * 60_000 + 60_000;
    const after = await rows<SignalRow>(
      store.client,
      windowSql(whole, {}, [new Date(nextMinute), new Date(last + 86_400_000)]),
    );
    expect(after).toEqual([]);
    const before = await rows<SignalRow>(
      store.client,
      windowSql(whole, {}, [new Date(first - 86_400_000), new Date(first - 1000)]),
    );
    expect(before).toEqual([]);
    const around = await rows<SignalRow>(
      store.client,
      windowSql(whole, {}, [new Date(first - 1000), new Date(last + 1000)]),
    );
    expect(around).toEqual(all);
  });
});
