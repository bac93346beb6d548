/**
 * Stats of runs from any trace (migration 0028) and prices of embeddings and
 * cache writes (0029): traces of other instrumentations without a run span,
 * made with a real tracer, filtered by the real AllowlistSpanProcessor and
 * written by the real ClickHouseSpanExporter into chDB, are counted in
 * agent_stats and agent_stats_hourly under the name agent_runs gives their
 * run; embedding steps and Anthropic cache writes are priced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, type Attributes, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AllowlistSpanProcessor } from '@agenttrace/sdk';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { MIGRATIONS_TABLE, migrate } from '../src/migrate.js';
import { createStore } from '../src/store.js';
import type { Store } from '../src/store.js';
import { removeDataPath, rows, tempDataPath, uniqueDatabase } from './helpers/chdb-db.js';
import { nestedDuplicate } from './fixtures/foreign-sources.js';

const dataPath = tempDataPath('agenttrace-trace-stats-');
let store: Store;
let db: string;
let duplicateTrace = '';
const stepTraces: Record<string, string> = {};

/** One root GenAI client span (a provider SDK's own span), as its own trace. */
function clientSpan(tracer: Tracer, name: string, attributes: Attributes): string {
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, ROOT_CONTEXT);
  span.end();
  return span.spanContext().traceId;
}

beforeAll(async () => {
  db = uniqueDatabase();
  store = createStore({ path: dataPath, database: db });
  await migrate(store.client, { database: db });
  const exporter = new ClickHouseSpanExporter({ store, database: db });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'stats-svc' }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const tracer = provider.getTracer('foreign-sources');
  // OpenLLMetry's openai.chat around the provider's own span, under an HTTP server span
  duplicateTrace = nestedDuplicate(tracer).traceId;
  stepTraces['embedding'] = clientSpan(tracer, 'embeddings text-embedding-3-small', {
    'gen_ai.operation.name': 'embeddings',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'text-embedding-3-small',
    'gen_ai.usage.input_tokens': 5000,
  });
  for (const [key, written] of [
    ['cacheWrite', 1000],
    ['plain', 0],
  ] as const) {
    stepTraces[key] = clientSpan(tracer, 'chat claude-sonnet-4-5', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 0,
      ...(written > 0 ? { 'gen_ai.usage.cache_write.input_tokens': written } : {}),
    });
  }
  await provider.forceFlush();
  await exporter.forceFlush();
  await provider.shutdown();
}, 120_000);

afterAll(async () => {
  await store.close();
  removeDataPath(dataPath);
});

interface StatsRow {
  agent: string;
  step_type: string;
  model: string;
  steps: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
}

describe('agent_stats (0028)', () => {
  it("counts a trace run's steps once under the run's name, not under ''", async () => {
    const [run] = await rows<{ agent: string }>(
      store.client,
      `SELECT agent FROM ${db}.agent_runs WHERE trace_id = {t:String}`,
      { t: duplicateTrace },
    );
    expect(run?.agent).toBe('POST /answer');
    const got = await rows<StatsRow>(
      store.client,
      `SELECT agent, step_type, model, steps, input_tokens, output_tokens, cost_usd
       FROM ${db}.agent_stats WHERE model = 'gpt-4o' ORDER BY agent`,
    );
    expect(
      got.map((r) => [r.agent, r.step_type, r.steps, r.input_tokens, r.output_tokens]),
    ).toEqual([['POST /answer', 'model', 1, 100, 20]]);
    // gpt-4o: 100 × $2.50 + 20 × $10.00 per million tokens
    expect(got[0]?.cost_usd).toBeCloseTo(0.00045, 9);
  });

  it('leaves no empty agent row and joins runs and steps in agent_stats_hourly', async () => {
    const empty = await rows<{ n: number }>(
      store.client,
      `SELECT count() AS n FROM ${db}.agent_stats WHERE agent = ''`,
    );
    expect(empty).toEqual([{ n: 0 }]);
    const hourly = await rows<{ runs: number; steps: number; input_tokens: number }>(
      store.client,
      `SELECT runs, steps, input_tokens FROM ${db}.agent_stats_hourly WHERE agent = 'POST /answer'`,
    );
    expect(hourly).toEqual([{ runs: 1, steps: 1, input_tokens: 100 }]);
    const unnamed = await rows<{ n: number }>(
      store.client,
      `SELECT count() AS n FROM ${db}.agent_stats_hourly WHERE agent = ''`,
    );
    expect(unnamed).toEqual([{ n: 0 }]);
  });
});

describe('prices (0029)', () => {
  async function stepOf(
    key: string,
  ): Promise<{ cost_usd: number | null; cache_write_tokens: number }> {
    const got = await rows<{ cost_usd: number | null; cache_write_tokens: number }>(
      store.client,
      `SELECT cost_usd, cache_write_tokens FROM ${db}.agent_steps WHERE trace_id = {t:String}`,
      { t: stepTraces[key] ?? '' },
    );
    expect(got, key).toHaveLength(1);
    return got[0]!;
  }

  it('prices an embedding step at the list price of its model', async () => {
    // text-embedding-3-small: 5000 × $0.02 per million tokens
    expect((await stepOf('embedding')).cost_usd).toBeCloseTo(0.0001, 12);
  });

  it('prices an Anthropic cache write at 1.25 × the input rate', async () => {
    const plain = await stepOf('plain');
    const written = await stepOf('cacheWrite');
    expect(written.cache_write_tokens).toBe(1000);
    // claude-sonnet-4-5: $3 input, $3.75 cache write per million tokens
    expect(plain.cost_usd).toBeCloseTo(0.003, 12);
    expect(written.cost_usd).toBeCloseTo(0.00375, 12);
  });

  it('keeps OpenAI cache writes at the input rate and the seeded rows once', async () => {
    const got = await rows<{ provider: string; model: string; w: number | null }>(
      store.client,
      `SELECT provider, model, cache_write_per_mtok AS w FROM ${db}.model_prices FINAL
       WHERE model IN ('gpt-4o', 'claude-sonnet-4-5', 'claude-opus-4', 'text-embedding-3-large')
       ORDER BY model`,
    );
    expect(got).toEqual([
      { provider: 'anthropic', model: 'claude-opus-4', w: 18.75 },
      { provider: 'anthropic', model: 'claude-sonnet-4-5', w: 3.75 },
      { provider: 'openai', model: 'gpt-4o', w: null },
      { provider: 'openai', model: 'text-embedding-3-large', w: null },
    ]);
  });

  it('keeps prices a user edited before migration 29 and inserts only missing models', async () => {
    // a store as it was before 0029: seeded prices, two of them edited by the user
    const old = uniqueDatabase();
    await migrate(store.client, { database: old });
    const command = (query: string) =>
      store.client.command({ query, clickhouse_settings: { mutations_sync: '2' } });
    await command(`TRUNCATE TABLE ${old}.model_prices`);
    await command(`ALTER TABLE ${old}.model_prices DROP COLUMN cache_write_per_mtok`);
    await command(
      `INSERT INTO ${old}.model_prices (provider, model, input_per_mtok, output_per_mtok, cached_input_per_mtok)
       VALUES ('anthropic', 'claude-sonnet-4-5', 4.0, 15.0, 0.3), ('openai', 'text-embedding-3-small', 0.05, 0, 0.05)`,
    );
    await command(`DELETE FROM ${old}.${MIGRATIONS_TABLE} WHERE version = 29`);
    await command(`DELETE FROM ${old}.agenttrace_migration_steps WHERE version = 29`);
    const result = await migrate(store.client, { database: old });
    expect(result.applied.map((m) => m.version)).toEqual([29]);
    const got = await rows<{ model: string; input: number; w: number | null }>(
      store.client,
      `SELECT model, input_per_mtok AS input, cache_write_per_mtok AS w
       FROM ${old}.model_prices FINAL ORDER BY model`,
    );
    expect(got).toEqual([
      { model: 'claude-sonnet-4-5', input: 4, w: 5 },
      { model: 'text-embedding-3-large', input: 0.13, w: null },
      { model: 'text-embedding-3-small', input: 0.05, w: null },
      { model: 'text-embedding-ada-002', input: 0.1, w: null },
    ]);
  });
});
