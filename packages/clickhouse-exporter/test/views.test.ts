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
import { insertSpans } from './support/rows.js';
import { buildFixture, T0 } from './fixtures/agent-runs.js';
import type { Fixture } from './fixtures/agent-runs.js';

const dataPath = tempDataPath();
let client: ClickHouseClient;
beforeAll(() => {
  client = openClient(dataPath);
});
afterAll(async () => {
  await client.close();
  removeDataPath(dataPath);
});

async function seeded(): Promise<{ db: string; fx: Fixture }> {
  const db = uniqueDatabase();
  await migrate(client, { database: db });
  const fx = buildFixture();
  // Steps end before their run, so a real exporter inserts them first; the
  // fixture is inserted in two batches, runs last, like that.
  const isRun = (s: { SpanAttributes: Record<string, string> }) =>
    s.SpanAttributes['gen_ai.operation.name'] === 'invoke_agent';
  await insertSpans(
    client,
    db,
    fx.spans.filter((s) => !isRun(s)),
  );
  await insertSpans(client, db, fx.spans.filter(isRun));
  return { db, fx };
}

interface RunRow {
  run_id: string;
  agent: string;
  agent_version: string;
  variant: string;
  origin: string;
  parent_run_id: string;
  status: string;
  duration_ms: number;
  step_count: string;
  retry_count: string;
  failed_step_count: string;
  tool_step_count: string;
  model_step_count: string;
  input_tokens: string;
  output_tokens: string;
  cached_tokens: string;
  cost_usd: number;
  failure_type: string;
  failure_code: string;
  failure_step: string;
}

describe('agent views', () => {
  let db: string;
  let fx: Fixture;
  beforeAll(async () => {
    ({ db, fx } = await seeded());
  });

  it('agent_runs returns one row per run with its steps, tokens, cost and failure', async () => {
    const got = await rows<RunRow>(client, `SELECT * FROM ${db}.agent_runs ORDER BY started_at`);
    const byId = new Map(got.map((r) => [r.run_id, r]));
    expect(got).toHaveLength(5);
    expect(byId.get(fx.ids.a)).toMatchObject({
      agent: 'support-bot',
      agent_version: '1.2.0',
      variant: 'a',
      origin: 'root',
      status: 'success',
      duration_ms: 2000,
      step_count: 5,
      retry_count: 1,
      failed_step_count: 1,
      tool_step_count: 2,
      model_step_count: 1,
      input_tokens: 1000,
      output_tokens: 200,
      cached_tokens: 400,
      failure_type: '',
      failure_code: '',
    });
    // gpt-4o: 600 input × $2.50 + 400 cached × $1.25 + 200 output × $10 per million.
    expect(byId.get(fx.ids.a)?.cost_usd).toBeCloseTo(0.004, 12);
    expect(byId.get(fx.ids.e)).toMatchObject({
      origin: 'nested',
      parent_run_id: fx.ids.a,
      step_count: 1,
    });
    expect(byId.get(fx.ids.e)?.cost_usd).toBeCloseTo(0.00008, 12);
    expect(byId.get(fx.ids.b)).toMatchObject({
      status: 'failure',
      step_count: 1,
      input_tokens: 2000,
      failure_type: 'model',
      failure_code: 'rate_limited',
      failure_step: 'draft',
    });
    expect(byId.get(fx.ids.b)?.cost_usd).toBeCloseTo(0.006, 12);
    expect(byId.get(fx.ids.c)).toMatchObject({
      status: 'partial',
      step_count: 3,
      failed_step_count: 2,
      model_step_count: 2,
      input_tokens: 10500,
      output_tokens: 1100,
      failure_type: 'retrieval',
      failure_code: 'empty_retrieval',
      failure_step: 'fetch_docs',
    });
    expect(byId.get(fx.ids.c)?.cost_usd).toBeCloseTo(0.0055 + 0.000135, 12);
  });

  it("agent_runs treats another instrumentation's invoke_agent span as a run, legacy spellings included", async () => {
    const [d] = await rows<RunRow>(
      client,
      `SELECT * FROM ${db}.agent_runs WHERE run_id = {id:String}`,
      { id: fx.ids.d },
    );
    expect(d).toMatchObject({
      agent: 'legacy-agent',
      status: 'failure',
      origin: 'root',
      step_count: 2,
      failed_step_count: 1,
      model_step_count: 1,
      tool_step_count: 1,
      input_tokens: 100,
      output_tokens: 50,
      failure_type: 'orchestration',
      failure_code: 'max_iterations',
    });
    expect(d?.cost_usd).toBeCloseTo(0.0006, 12);
  });

  it('agent_steps returns every step with type, attempt, status, model, tokens, ttfc, cost and failure', async () => {
    const got = await rows<Record<string, unknown>>(
      client,
      `SELECT run_id, step_type, step_name, attempt, status, model, provider, tool, input_tokens,
              time_to_first_chunk_ms, cost_usd, failure_type, failure_code
       FROM ${db}.agent_steps ORDER BY started_at`,
    );
    expect(got).toHaveLength(12);
    expect(
      got
        .filter((s) => s.run_id === fx.ids.a)
        .map((s) => [s.step_type, s.step_name, s.attempt, s.status]),
    ).toEqual([
      ['plan', 'decide', 1, 'ok'],
      ['model', 'answer', 1, 'ok'],
      ['tool', 'search_kb', 1, 'error'],
      ['tool', 'search_kb', 2, 'ok'],
      ['respond', 'reply', 1, 'ok'],
    ]);
    const answer = got.find((s) => s.step_name === 'answer');
    expect(answer).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      input_tokens: 1000,
    });
    expect(answer?.time_to_first_chunk_ms).toBeCloseTo(350, 9);
    const timeout = got.find((s) => s.step_name === 'search_kb' && s.attempt === 1);
    expect(timeout).toMatchObject({
      tool: 'search_kb',
      failure_type: 'tool',
      failure_code: 'timeout',
      cost_usd: null,
    });
    const foreign = got
      .filter((s) => s.run_id === fx.ids.d)
      .map((s) => [s.step_type, s.step_name, s.failure_code]);
    expect(foreign).toEqual([
      ['model', 'chat gpt-4.1', ''],
      ['tool', 'crm_lookup', 'unavailable'],
    ]);
  });

  it('agent_failures returns one row per classified failure at run and step level', async () => {
    const got = await rows<{
      level: string;
      run_id: string;
      agent: string;
      step_type: string;
      failure_type: string;
      failure_code: string;
      failure_step: string;
    }>(
      client,
      `SELECT level, run_id, agent, step_type, failure_type, failure_code, failure_step
       FROM ${db}.agent_failures ORDER BY level, occurred_at`,
    );
    expect(
      got.map((f) => [f.level, f.run_id, f.agent, f.failure_type, f.failure_code, f.failure_step]),
    ).toEqual([
      ['run', fx.ids.b, 'support-bot', 'model', 'rate_limited', 'draft'],
      ['run', fx.ids.c, 'research-bot', 'retrieval', 'empty_retrieval', 'fetch_docs'],
      ['run', fx.ids.d, 'legacy-agent', 'orchestration', 'max_iterations', ''],
      ['step', fx.ids.a, 'support-bot', 'tool', 'timeout', 'search_kb'],
      ['step', fx.ids.b, 'support-bot', 'model', 'rate_limited', 'draft'],
      ['step', fx.ids.c, 'research-bot', 'retrieval', 'empty_retrieval', 'fetch_docs'],
      ['step', fx.ids.c, 'research-bot', 'model', 'schema_invalid', 'format'],
      ['step', fx.ids.d, 'legacy-agent', 'tool', 'unavailable', 'crm_lookup'],
    ]);
  });

  it('agent_feedback ties feedback to its run by attribute or by link', async () => {
    const got = await rows<{
      run_id: string;
      metric: string;
      score_value: number;
      score_label: string;
      agent: string;
      variant: string;
    }>(
      client,
      `SELECT run_id, metric, score_value, score_label, agent, variant FROM ${db}.agent_feedback ORDER BY created_at`,
    );
    expect(got).toEqual([
      {
        run_id: fx.ids.b,
        metric: 'helpfulness',
        score_value: 0,
        score_label: 'bad',
        agent: 'support-bot',
        variant: 'b',
      },
      {
        run_id: fx.ids.c,
        metric: 'accuracy',
        score_value: 0.8,
        score_label: 'good',
        agent: 'research-bot',
        variant: '',
      },
    ]);
  });

  it('agent_stats_hourly answers per agent, version and variant from the rollups', async () => {
    const got = await rows<Record<string, unknown>>(
      client,
      `SELECT toString(bucket) AS bucket, agent, agent_version, variant, runs, successes, failures, partials,
              success_rate, p50_ms, steps, retries, input_tokens, cost_usd
       FROM ${db}.agent_stats_hourly ORDER BY agent, variant`,
    );
    const hour = new Date(T0).toISOString().slice(0, 19).replace('T', ' ');
    expect(
      got.map((r) => [
        r.bucket,
        r.agent,
        r.agent_version,
        r.variant,
        r.runs,
        r.successes,
        r.failures,
        r.partials,
        r.steps,
        r.retries,
        r.input_tokens,
      ]),
    ).toEqual([
      // Steps of another instrumentation carry no agent name.
      [hour, '', '', '', 0, 0, 0, 0, 2, 0, 100],
      [hour, 'helper', '2.0.0', '', 1, 1, 0, 0, 1, 0, 100],
      [hour, 'legacy-agent', '', '', 1, 0, 1, 0, 0, 0, 0],
      [hour, 'research-bot', '0.9.0', '', 1, 0, 0, 1, 3, 0, 10500],
      [hour, 'support-bot', '1.2.0', 'a', 1, 1, 0, 0, 5, 1, 1000],
      [hour, 'support-bot', '1.2.0', 'b', 1, 0, 1, 0, 1, 0, 2000],
    ]);
    const row = (agent: string, variant: string) =>
      got.find((r) => r.agent === agent && r.variant === variant);
    expect(row('support-bot', 'a')?.cost_usd).toBeCloseTo(0.004, 12);
    expect(row('research-bot', '')?.cost_usd).toBeCloseTo(0.005635, 12);
    expect(row('', '')?.cost_usd).toBeCloseTo(0.0006, 12);
    expect(row('support-bot', 'a')).toMatchObject({ success_rate: 1, p50_ms: 2000 });
    expect(row('', '')?.success_rate).toBeNull();
  });

  it('agent_stats answers per step type, model and provider', async () => {
    const got = await rows<Record<string, unknown>>(
      client,
      `SELECT agent, variant, step_type, model, provider, steps, retries, failed_steps, success_rate,
              p50_ms, ttfc_p50_ms, input_tokens, cost_usd
       FROM ${db}.agent_stats ORDER BY agent, variant, step_type, model`,
    );
    const models = got.filter((r) => r.model !== '');
    expect(
      models.map((r) => [r.agent, r.variant, r.model, r.provider, r.steps, r.failed_steps]),
    ).toEqual([
      ['', '', 'gpt-4.1', 'openai', 1, 0],
      ['helper', '', 'grok-3-mini', 'x_ai', 1, 0],
      ['research-bot', '', 'gemini-2.5-flash', 'gcp.gemini', 1, 0],
      ['research-bot', '', 'gpt-4o-mini', 'openai', 1, 1],
      ['support-bot', 'a', 'gpt-4o', 'openai', 1, 0],
      ['support-bot', 'b', 'claude-sonnet-4-5', 'anthropic', 1, 1],
    ]);
    const gpt4o = models.find((r) => r.model === 'gpt-4o');
    expect(gpt4o?.cost_usd).toBeCloseTo(0.004, 12);
    expect(gpt4o).toMatchObject({ p50_ms: 800, ttfc_p50_ms: 350 });
    const tools = got.find((r) => r.agent === 'support-bot' && r.step_type === 'tool');
    expect(tools).toMatchObject({
      steps: 2,
      retries: 1,
      failed_steps: 1,
      success_rate: 0.5,
      cost_usd: null,
    });
  });

  it('reprices history when a price is corrected, and applies a later price from its effective date', async () => {
    const { db, fx } = await seeded();
    await client.insert({
      table: `${db}.model_prices`,
      values: [
        // Correction of the seeded row (same key, newer updated_at wins).
        {
          provider: 'openai',
          model: 'gpt-4o',
          input_per_mtok: 5,
          output_per_mtok: 10,
          cached_input_per_mtok: 1.25,
        },
        // A price change from 10:05 on: run B (10:05) is repriced, nothing earlier.
        {
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          input_per_mtok: 1,
          output_per_mtok: 5,
          cached_input_per_mtok: 0.1,
          effective_from: Math.floor((T0 + 300_000) / 1000),
        },
      ],
      format: 'JSONEachRow',
    });
    const runs = await rows<{ run_id: string; cost_usd: number }>(
      client,
      `SELECT run_id, cost_usd FROM ${db}.agent_runs`,
    );
    const cost = new Map(runs.map((r) => [r.run_id, r.cost_usd]));
    // gpt-4o now: 600 × $5 + 400 × $1.25 + 200 × $10 per million.
    expect(cost.get(fx.ids.a)).toBeCloseTo(0.0055, 12);
    expect(cost.get(fx.ids.b)).toBeCloseTo(0.002, 12);
    const [stats] = await rows<{ cost_usd: number }>(
      client,
      `SELECT cost_usd FROM ${db}.agent_stats_hourly WHERE agent = 'support-bot' AND variant = 'a'`,
    );
    expect(stats?.cost_usd).toBeCloseTo(0.0055, 12);
  });

  it("counts a run's steps whichever of run and steps is inserted first", async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    const fx = buildFixture();
    const isRun = (s: { SpanAttributes: Record<string, string> }) =>
      s.SpanAttributes['gen_ai.operation.name'] === 'invoke_agent';
    await insertSpans(client, db, fx.spans.filter(isRun));
    for (const step of fx.spans.filter((s) => !isRun(s))) await insertSpans(client, db, [step]);
    const got = await rows<{
      agent: string;
      variant: string;
      steps: number;
      retries: number;
      cost_usd: number;
    }>(
      client,
      `SELECT agent, variant, steps, retries, cost_usd FROM ${db}.agent_stats_hourly WHERE agent = 'support-bot' ORDER BY variant`,
    );
    expect(got.map((r) => [r.variant, r.steps, r.retries])).toEqual([
      ['a', 5, 1],
      ['b', 1, 0],
    ]);
    expect(got[0]?.cost_usd).toBeCloseTo(0.004, 12);
  });
});
