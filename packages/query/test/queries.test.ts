import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getRuns,
  getRunSteps,
  getStats,
  InvalidQueryError,
  listFailures,
  listFeedback,
  listRuns,
  readonlySql,
} from '../src/index.js';

let store: Store;
let okRunId = '';

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-query-')) });
  await migrate(store.client);
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 50 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'query-test',
      'deployment.environment.name': 'test',
    }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const support = new AgentTracer({
    agentName: 'support',
    agentVersion: '2.0.0',
    tracerProvider: provider,
  });
  const ref = await support.run({ variant: 'a' }, async (run) => {
    await run.step('plan', 'analyze', async () => undefined);
    await run.retry(
      'tool',
      'orders_api',
      { attempts: 3, initialDelayMs: 1 },
      async (_s, attempt) => {
        if (attempt === 1) throw Object.assign(new Error('busy'), { status: 503 });
      },
    );
    await run.step('model', 'answer', { model: 'gpt-4o-mini', provider: 'openai' }, async (s) =>
      s.setUsage({ inputTokens: 1000, outputTokens: 100 }),
    );
    return run.ref;
  });
  okRunId = ref.runId;
  support.recordFeedback(ref, 'helpfulness', 1, { label: 'thumbs_up' });
  await support
    .run({ variant: 'b' }, (run) =>
      run.step('retrieve', 'search', async () => {
        throw Object.assign(new Error('nothing'), { name: 'EmptyRetrieval' });
      }),
    )
    .catch(() => undefined);
  await new AgentTracer({ agentName: 'billing', tracerProvider: provider }).run(async (run) => {
    await run.step(
      'model',
      'classify',
      { model: 'claude-haiku-4-5', provider: 'anthropic' },
      async (s) => s.setUsage({ inputTokens: 200, outputTokens: 20 }),
    );
  });
  await provider.forceFlush();
  await provider.shutdown();
});

afterAll(async () => {
  await store?.close();
});

describe('@agenttrace/query', () => {
  describe('listRuns', () => {
    it('lists runs newest first with their rollups', async () => {
      const runs = await listRuns(store.client);
      expect(runs).toHaveLength(3);
      const ok = runs.find((r) => r.run_id === okRunId)!;
      expect(ok).toMatchObject({
        agent: 'support',
        agent_version: '2.0.0',
        variant: 'a',
        status: 'success',
        retry_count: 1,
        input_tokens: 1000,
      });
      expect(ok.step_count).toBe(4);
      expect(ok.cost_usd).toBeGreaterThan(0);
    });

    it('filters by agent, status, failure type and time, and pages', async () => {
      expect((await listRuns(store.client, { agent: 'billing' })).map((r) => r.agent)).toEqual([
        'billing',
      ]);
      const failed = await listRuns(store.client, {
        status: 'failure',
        failureType: 'retrieval',
        since: '1h',
      });
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        agent: 'support',
        variant: 'b',
        failure_type: 'retrieval',
      });
      expect(
        await listRuns(store.client, { since: new Date(Date.now() + 60_000).toISOString() }),
      ).toEqual([]);
      const page = await listRuns(store.client, { limit: 2, offset: 2 });
      expect(page).toHaveLength(1);
    });

    it('names the field, the expectation and the value of a bad filter', async () => {
      await expect(listRuns(store.client, { status: 'weird' as never })).rejects.toThrow(
        InvalidQueryError,
      );
      await expect(listRuns(store.client, { status: 'weird' as never })).rejects.toThrow(
        /status must be .*success.*\(got "weird"\)/,
      );
      await expect(listRuns(store.client, { limit: 0 })).rejects.toThrow(
        /limit must be .*\(got 0\)/,
      );
      await expect(listRuns(store.client, { since: 'yesterday-ish' })).rejects.toThrow(
        /since must be a duration like 30m.*\(got "yesterday-ish"\)/,
      );
      // DateTime64(9) ends in 2262: a later bound would overflow in the engine (a 5xx).
      await expect(listRuns(store.client, { since: '2263-01-01' })).rejects.toThrow(
        /since must be .*to 2262-04-11.*\(got "2263-01-01"\)/,
      );
      expect(await listRuns(store.client, { since: '2262-04-11' })).toEqual([]);
      await expect(listRuns(store.client, { agent: "x' OR 1=1 --" })).rejects.toThrow(
        /agent must be a label/,
      );
    });
  });

  describe('getRuns / getRunSteps', () => {
    it('finds a run by run id and by trace id, with its steps in order', async () => {
      const [run] = await getRuns(store.client, okRunId);
      expect(run?.run_id).toBe(okRunId);
      expect((await getRuns(store.client, run!.trace_id)).map((r) => r.run_id)).toEqual([okRunId]);
      const steps = await getRunSteps(store.client, okRunId);
      expect(steps.map((s) => [s.step_type, s.step_name, s.attempt, s.status])).toEqual([
        ['plan', 'analyze', 1, 'unset'],
        ['tool', 'orders_api', 1, 'error'],
        ['tool', 'orders_api', 2, 'unset'],
        ['model', 'answer', 1, 'unset'],
      ]);
      expect(steps[1]).toMatchObject({ failure_type: 'tool', failure_code: 'unavailable' });
      expect(await getRuns(store.client, 'no-such-run')).toEqual([]);
    });
  });

  describe('listFailures / listFeedback', () => {
    it('returns classified failures and feedback', async () => {
      const failures = await listFailures(store.client);
      expect(failures.some((f) => f.failure_type === 'retrieval' && f.agent === 'support')).toBe(
        true,
      );
      expect(
        (await listFailures(store.client, { runId: okRunId })).every((f) => f.run_id === okRunId),
      ).toBe(true);
      const feedback = await listFeedback(store.client, { runId: okRunId });
      expect(feedback).toHaveLength(1);
      expect(feedback[0]).toMatchObject({
        metric: 'helpfulness',
        score_value: 1,
        score_label: 'thumbs_up',
        agent: 'support',
      });
    });
  });

  describe('getStats', () => {
    it('groups runs by agent and variant with success rate, latency and cost', async () => {
      const byAgent = await getStats(store.client, { by: 'agent' });
      const support = byAgent.find((r) => r.agent === 'support')!;
      expect(support.runs).toBe(2);
      expect(support.success_rate).toBe(0.5);
      expect(support.p50_ms).toBeGreaterThan(0);
      expect(support.input_tokens).toBe(1000);
      const byVariant = await getStats(store.client, { by: 'variant', agent: 'support' });
      expect(byVariant.map((r) => [r.key, r.runs]).sort()).toEqual([
        ['a', 1],
        ['b', 1],
      ]);
    });

    it('groups model calls by model and provider', async () => {
      const byModel = await getStats(store.client, { by: 'model' });
      expect(byModel.map((r) => r.key).sort()).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']);
      const byProvider = await getStats(store.client, { by: 'provider' });
      const openai = byProvider.find((r) => r.key === 'openai')!;
      expect(openai).toMatchObject({ calls: 1, input_tokens: 1000, output_tokens: 100 });
      expect(openai.cost_usd).toBeGreaterThan(0);
      await expect(getStats(store.client, { by: 'colour' as never })).rejects.toThrow(
        /by must be .*agent.*\(got "colour"\)/,
      );
    });
  });

  describe('readonlySql', () => {
    it('answers reads and refuses writes', async () => {
      expect(await readonlySql(store.client, 'SELECT count() AS n FROM agent_runs')).toEqual([
        { n: 3 },
      ]);
      await expect(readonlySql(store.client, 'DROP TABLE otel_traces')).rejects.toThrow(
        /DROP statements are refused/,
      );
      await expect(
        readonlySql(store.client, "INSERT INTO model_prices (provider) VALUES ('x')"),
      ).rejects.toThrow(/INSERT statements are refused/);
      expect(await readonlySql(store.client, 'SELECT count() AS n FROM agent_runs')).toEqual([
        { n: 3 },
      ]);
    });
  });
});
