/**
 * Runs from any trace (migration 0009): traces of other instrumentations,
 * made with a real tracer, filtered by the real AllowlistSpanProcessor and
 * written by the real ClickHouseSpanExporter into chDB, come out of the
 * views as one run per trace, named from the best label that was kept, with
 * a model call seen twice counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AllowlistSpanProcessor } from '@agenttrace/sdk';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { migrate } from '../src/migrate.js';
import { createStore } from '../src/store.js';
import type { Store } from '../src/store.js';
import { removeDataPath, rows, tempDataPath, uniqueDatabase } from './helpers/chdb-db.js';
import {
  PLANTED,
  aiSdkGenerateText,
  nestedDuplicate,
  openInferenceChain,
  openLlmetryWorkflow,
  providerSpan,
} from './fixtures/foreign-sources.js';

interface RunRow {
  run_id: string;
  trace_id: string;
  agent: string;
  service: string;
  status: string;
  origin: string;
  step_count: number;
  model_step_count: number;
  tool_step_count: number;
  failed_step_count: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  failure_type: string;
  failure_code: string;
}

const dataPath = tempDataPath('agenttrace-any-trace-');
let store: Store;
let db: string;
const traces: Record<string, { traceId: string }> = {};
let duplicateOuter = '';

beforeAll(async () => {
  db = uniqueDatabase();
  store = createStore({ path: dataPath, database: db });
  await migrate(store.client, { database: db });
  const exporter = new ClickHouseSpanExporter({ store, database: db });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-svc' }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const tracer = provider.getTracer('foreign-sources');
  traces['openllmetry'] = openLlmetryWorkflow(tracer);
  traces['openinference'] = openInferenceChain(tracer);
  traces['aisdk'] = aiSdkGenerateText(tracer);
  traces['provider'] = providerSpan(tracer);
  traces['provider429'] = providerSpan(tracer, true);
  const dup = nestedDuplicate(tracer);
  traces['duplicate'] = dup;
  duplicateOuter = dup.outerSpanId;
  await provider.forceFlush();
  await exporter.forceFlush();
  await provider.shutdown();
}, 120_000);

afterAll(async () => {
  await store.close();
  removeDataPath(dataPath);
});

async function runOf(source: string): Promise<RunRow> {
  const traceId = traces[source]?.traceId ?? '';
  const got = await rows<RunRow>(
    store.client,
    `SELECT * FROM ${db}.agent_runs WHERE trace_id = {t:String}`,
    { t: traceId },
  );
  expect(got, source).toHaveLength(1);
  return got[0]!;
}

describe('runs from any trace', () => {
  it('makes exactly one run per trace', async () => {
    const got = await rows<{ trace_id: string; n: number }>(
      store.client,
      `SELECT trace_id, count() AS n FROM ${db}.agent_runs GROUP BY trace_id`,
    );
    expect(got.map((r) => r.n)).toEqual(got.map(() => 1));
    expect(got.map((r) => r.trace_id).sort()).toEqual(
      Object.values(traces)
        .map((t) => t.traceId)
        .sort(),
    );
  });

  it('names an OpenLLMetry run after its Traceloop workflow and prices its steps', async () => {
    const run = await runOf('openllmetry');
    expect(run).toMatchObject({
      run_id: traces['openllmetry']?.traceId,
      agent: 'support-flow',
      service: 'support-svc',
      status: 'success',
      origin: 'root',
      step_count: 2,
      model_step_count: 1,
      tool_step_count: 1,
      input_tokens: 100,
      output_tokens: 20,
      failure_code: '',
    });
    // gpt-4o: 100 × $2.50 + 20 × $10.00 per million tokens
    expect(run.cost_usd).toBeCloseTo(0.00045, 9);
  });

  it('names an OpenInference chain after its root span and prices a dated snapshot', async () => {
    const run = await runOf('openinference');
    expect(run).toMatchObject({
      agent: 'RunnableSequence',
      status: 'success',
      step_count: 1,
      model_step_count: 1,
      input_tokens: 200,
      output_tokens: 50,
    });
    // claude-sonnet-4-5: 200 × $3 + 50 × $15 per million tokens
    expect(run.cost_usd).toBeCloseTo(0.00135, 9);
  });

  it('keeps an AI SDK generateText run as a run span named by its functionId', async () => {
    const run = await runOf('aisdk');
    expect(run.run_id).not.toBe(traces['aisdk']?.traceId);
    expect(run).toMatchObject({
      agent: 'summarize',
      step_count: 1,
      model_step_count: 1,
      input_tokens: 300,
      output_tokens: 40,
    });
    // gpt-4o-mini: 300 × $0.15 + 40 × $0.60 per million tokens
    expect(run.cost_usd).toBeCloseTo(0.000069, 9);
  });

  it("names a bare provider span's run after service.name, and fails it with the step's code", async () => {
    const ok = await runOf('provider');
    expect(ok).toMatchObject({
      agent: 'support-svc',
      status: 'success',
      step_count: 1,
      input_tokens: 1000,
      output_tokens: 100,
    });
    expect(ok.cost_usd).toBeCloseTo(0.00021, 9);
    const failed = await runOf('provider429');
    expect(failed).toMatchObject({
      status: 'failure',
      failed_step_count: 1,
      failure_type: 'model',
      failure_code: 'rate_limited',
    });
    const failures = await rows<{ level: string; agent: string; failure_code: string }>(
      store.client,
      `SELECT level, agent, failure_code FROM ${db}.agent_failures WHERE trace_id = {t:String} ORDER BY level`,
      { t: traces['provider429']?.traceId },
    );
    expect(failures).toEqual([
      { level: 'run', agent: 'support-svc', failure_code: 'rate_limited' },
      { level: 'step', agent: 'support-svc', failure_code: 'rate_limited' },
    ]);
  });

  it('counts a model call seen twice once, in tokens, cost and steps', async () => {
    const run = await runOf('duplicate');
    expect(run).toMatchObject({
      agent: 'POST /answer',
      step_count: 1,
      model_step_count: 1,
      input_tokens: 100,
      output_tokens: 20,
    });
    expect(run.cost_usd).toBeCloseTo(0.00045, 9);
    const steps = await rows<{
      span_id: string;
      duplicate_of: string;
      input_tokens: number;
      run_link: string;
    }>(
      store.client,
      `SELECT span_id, duplicate_of, input_tokens, run_link FROM ${db}.agent_steps
       WHERE trace_id = {t:String} ORDER BY duplicate_of`,
      { t: traces['duplicate']?.traceId },
    );
    expect(steps).toEqual([
      { span_id: duplicateOuter, duplicate_of: '', input_tokens: 100, run_link: 'trace' },
      {
        span_id: expect.any(String) as string,
        duplicate_of: duplicateOuter,
        input_tokens: 0,
        run_link: 'trace',
      },
    ]);
  });

  it('lists the runs of traces in agent_run_index and agent_stats_hourly', async () => {
    const index = await rows<{ n: number }>(
      store.client,
      `SELECT count() AS n FROM ${db}.agent_run_index`,
    );
    expect(index[0]?.n).toBe(Object.keys(traces).length);
    const hourly = await rows<{ agent: string; runs: number; failures: number }>(
      store.client,
      `SELECT agent, sum(h.runs) AS runs, sum(h.failures) AS failures FROM ${db}.agent_stats_hourly AS h
       GROUP BY agent HAVING runs > 0 ORDER BY agent`,
    );
    expect(hourly).toEqual([
      { agent: 'POST /answer', runs: 1, failures: 0 },
      { agent: 'RunnableSequence', runs: 1, failures: 0 },
      { agent: 'summarize', runs: 1, failures: 0 },
      { agent: 'support-flow', runs: 1, failures: 0 },
      { agent: 'support-svc', runs: 2, failures: 1 },
    ]);
  });

  it('counts the marked duplicate once in agent_stats too: steps and tokens match the runs', async () => {
    const [stats] = await rows<{ steps: number; input: number; output: number }>(
      store.client,
      `SELECT sum(steps) AS steps, sum(input_tokens) AS input, sum(output_tokens) AS output FROM ${db}.agent_stats`,
    );
    const [runs] = await rows<{ steps: number; input: number; output: number }>(
      store.client,
      `SELECT sum(step_count) AS steps, sum(input_tokens) AS input, sum(output_tokens) AS output FROM ${db}.agent_runs`,
    );
    // 2 + 1 + 1 + 1 + 1 + 1 steps; 100 + 200 + 300 + 1000 + 0 + 100 input tokens
    expect(stats).toEqual({ steps: 7, input: 1700, output: 230 });
    expect(runs).toEqual(stats);
  });

  it('stores none of the planted content', async () => {
    const result = await store.client.query({
      query: `SELECT * FROM ${db}.otel_traces`,
      format: 'JSONEachRow',
    });
    const text = await result.text();
    expect(text.length).toBeGreaterThan(1000);
    expect(text).not.toContain(PLANTED);
  });
});

describe('counted once without the processor mark', () => {
  it('finds a nested model span for the same model by its parent alone', async () => {
    // What a store holds when the spans came without the SDK's processor
    // (e.g. through a collector that never saw the live parent): no mark.
    const other = uniqueDatabase();
    await migrate(store.client, { database: other });
    const exporter = new ClickHouseSpanExporter({ store, database: other });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'plain-svc' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const { traceId, outerSpanId } = nestedDuplicate(provider.getTracer('plain'), 'genai');
    await provider.forceFlush();
    await exporter.forceFlush();
    await provider.shutdown();
    const marked = await rows<{ n: number }>(
      store.client,
      `SELECT count() AS n FROM ${other}.otel_traces WHERE SpanAttributes['agenttrace.step.duplicate_of'] != ''`,
    );
    expect(marked[0]?.n).toBe(0);
    const runs = await rows<RunRow>(
      store.client,
      `SELECT * FROM ${other}.agent_runs WHERE trace_id = {t:String}`,
      { t: traceId },
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      agent: 'POST /answer',
      service: 'plain-svc',
      step_count: 1,
      model_step_count: 1,
      input_tokens: 100,
      output_tokens: 20,
    });
    expect(runs[0]?.cost_usd).toBeCloseTo(0.00045, 9);
    const steps = await rows<{ duplicate_of: string }>(
      store.client,
      `SELECT duplicate_of FROM ${other}.agent_steps WHERE trace_id = {t:String} ORDER BY duplicate_of`,
      { t: traceId },
    );
    expect(steps).toEqual([{ duplicate_of: '' }, { duplicate_of: outerSpanId }]);
  });
});
