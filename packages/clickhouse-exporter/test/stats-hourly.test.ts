/**
 * agent_stats_hourly as one UNION ALL grouped by its keys (migration 0036):
 * a filter on a key gives the rows of the whole view that match it, a key
 * with steps but no run keeps the zeros and NULLs the join of 0009 gave, and
 * every hour is answered on its own (fixture runs of two hours, real chDB).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../src/migrate.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { insertSpans, runId, runSpan, spanId, stepSpan, traceId } from './support/rows.js';
import type { SpanRow } from './support/rows.js';
import { buildFixture, T0 } from './fixtures/agent-runs.js';

const HOUR = 3_600_000;
const dataPath = tempDataPath('agenttrace-hourly-');
let client: ClickHouseClient;
let db = '';

/** A run of `agent` an hour after the fixture's, with one model step. */
function laterRun(agent: string): SpanRow[] {
  const trace = traceId();
  const run = runId();
  const root = spanId();
  const common = { traceId: trace, runId: run, agent, version: '1.0.0', variant: 'b' };
  return [
    stepSpan({
      ...common,
      parentSpanId: root,
      type: 'model',
      stepName: 'answer',
      model: 'gpt-4o-mini',
      provider: 'openai',
      startMs: T0 + HOUR + 10,
      durationMs: 40,
      status: 'Ok',
    }),
    runSpan({
      ...common,
      spanId: root,
      startMs: T0 + HOUR,
      durationMs: 100,
      status: 'Ok',
      failures: [],
    }),
  ];
}

beforeAll(async () => {
  client = openClient(dataPath);
  db = uniqueDatabase();
  await migrate(client, { database: db });
  const spans = [...buildFixture().spans, ...laterRun('support-bot'), ...laterRun('helper')];
  await insertSpans(client, db, spans);
});

afterAll(async () => {
  await client.close();
  removeDataPath(dataPath);
});

const COLUMNS = `toString(bucket) AS hour, agent, agent_version, variant, runs, successes, failures,
  partials, success_rate, p50_ms, p95_ms, p99_ms, avg_ms, steps, retries, failed_steps, tool_steps,
  model_steps, input_tokens, output_tokens, cached_tokens, round(cost_usd, 12) AS cost_usd`;
const ORDER = 'ORDER BY hour, agent, agent_version, variant';

describe('agent_stats_hourly (migration 0036)', () => {
  it('answers a filtered hour with the rows the whole view has for it', async () => {
    const all = await rows<Record<string, unknown>>(
      client,
      `SELECT ${COLUMNS} FROM ${db}.agent_stats_hourly ${ORDER}`,
    );
    const later = new Date(T0 + HOUR).toISOString().slice(0, 19).replace('T', ' ');
    const filtered = await rows<Record<string, unknown>>(
      client,
      `SELECT ${COLUMNS} FROM ${db}.agent_stats_hourly
       WHERE bucket >= toDateTime({later:String}, 'UTC') ${ORDER}`,
      { later },
    );
    const byAgent = await rows<Record<string, unknown>>(
      client,
      `SELECT ${COLUMNS} FROM ${db}.agent_stats_hourly WHERE agent = 'helper' ${ORDER}`,
    );
    expect(filtered).toEqual(all.filter((r) => String(r.hour) >= later));
    expect(filtered.map((r) => [r.agent, r.runs, r.steps, r.model_steps])).toEqual([
      ['helper', 1, 1, 1],
      ['support-bot', 1, 1, 1],
    ]);
    expect(byAgent).toEqual(all.filter((r) => r.agent === 'helper'));
    expect(byAgent).toHaveLength(2);
  });

  it('gives a key with steps and no run zero runs, zero latency and no rates', async () => {
    const got = await rows<Record<string, unknown>>(
      client,
      `SELECT runs, success_rate, avg_ms, p50_ms, p95_ms, p99_ms, steps
       FROM ${db}.agent_stats_hourly WHERE agent = ''`,
    );
    expect(got).toEqual([
      { runs: 0, success_rate: null, avg_ms: null, p50_ms: 0, p95_ms: 0, p99_ms: 0, steps: 2 },
    ]);
  });

  it('gives a key with a run and no step its run figures and zero steps and cost', async () => {
    const got = await rows<Record<string, unknown>>(
      client,
      `SELECT runs, failures, steps, input_tokens, cost_usd
       FROM ${db}.agent_stats_hourly WHERE agent = 'legacy-agent'`,
    );
    expect(got).toEqual([{ runs: 1, failures: 1, steps: 0, input_tokens: 0, cost_usd: 0 }]);
  });
});
