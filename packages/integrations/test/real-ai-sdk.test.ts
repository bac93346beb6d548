/**
 * The real Vercel AI SDK (`ai` 5 with `@ai-sdk/openai` 2) against the fake
 * provider, traced by its own telemetry (`experimental_telemetry`), through
 * the SDK's processor and through the collector: generateText with a tool
 * loop, streamText, embed and a 429 come out of the views as runs named by
 * their `functionId`, with their steps, dated model, provider, tool, tokens,
 * cost and failure codes, and none of the planted content is stored.
 */
import { context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Store } from '@agenttrace/clickhouse-exporter';
import {
  everythingStored,
  openPipeline,
  openTestStore,
  PIPELINE_PATHS,
  sqlRows,
  type Pipeline,
} from './support/collector-pipeline.js';
import {
  FAKE_MODELS,
  FAKE_USAGE,
  PLANTED,
  PLANTED_VALUES,
  startFakeProvider,
  type FakeProvider,
} from './support/fake-provider.js';
import { runsByAgent, statsOf, stepShapes, type RunSummary } from './support/view-summary.js';

/** A tool result and a session id the SDK is handed; neither may be stored. */
const TOOL_RESULT = 'PLANTED-toolresult-a41e refunded to card 4111 1111 1111 1111';
const SESSION = 'sess-PLANTED-0c9d';

let fake: FakeProvider;
let store: Store;

beforeAll(async () => {
  // what NodeTracerProvider.register() does: the AI SDK nests spans through the active context
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  fake = await startFakeProvider();
  store = await openTestStore('real-ai-sdk');
});
afterAll(async () => {
  await fake?.close();
  await store?.close();
});

/** Runs the four AI SDK calls with telemetry on, in order, against the fake provider. */
async function runAiSdk(tracer: Tracer): Promise<void> {
  const openai = createOpenAI({ baseURL: fake.openaiBaseURL, apiKey: 'sk-fake' });
  const telemetry = (functionId: string) => ({
    isEnabled: true,
    functionId,
    tracer,
    metadata: { customer: PLANTED.email, sessionId: SESSION },
  });

  fake.script({ kind: 'tool_call', name: 'lookup_order' }, { kind: 'text' });
  await generateText({
    model: openai.chat('gpt-4.1'),
    system: PLANTED.system,
    prompt: PLANTED.prompt,
    tools: {
      lookup_order: tool({
        description: 'Looks an order up',
        inputSchema: z.object({ order_id: z.string(), email: z.string() }),
        execute: async () => ({ result: TOOL_RESULT }),
      }),
    },
    stopWhen: stepCountIs(3),
    experimental_telemetry: telemetry('refund_agent'),
  });

  fake.script({ kind: 'text' });
  const stream = streamText({
    model: openai.chat('gpt-4.1'),
    prompt: PLANTED.prompt,
    experimental_telemetry: telemetry('stream_agent'),
  });
  for await (const chunk of stream.textStream) expect(typeof chunk).toBe('string');

  await embed({
    model: openai.textEmbeddingModel(FAKE_MODELS.embedding),
    value: PLANTED.prompt,
    experimental_telemetry: telemetry('embed_docs'),
  });

  fake.script({ kind: 'error', status: 429 }, { kind: 'error', status: 429 });
  await expect(
    generateText({
      model: openai.chat('gpt-4.1'),
      prompt: PLANTED.prompt,
      maxRetries: 1,
      experimental_telemetry: telemetry('limited_agent'),
    }),
  ).rejects.toThrow(/rate limit/);
}

describe.each(PIPELINE_PATHS)('the AI SDK through the %s', (path) => {
  let pipeline: Pipeline;
  let runs: Record<string, RunSummary>;

  beforeAll(async () => {
    pipeline = await openPipeline(store, path, `real-ai-sdk-${path}`);
    await runAiSdk(pipeline.provider.getTracer('ai'));
    await pipeline.flush();
    runs = await runsByAgent(store, pipeline.serviceName);
  }, 120_000);
  afterAll(async () => pipeline?.close());

  it('makes one run per call, named by its functionId', () => {
    expect(Object.keys(runs).sort()).toEqual([
      'embed_docs',
      'limited_agent',
      'refund_agent',
      'stream_agent',
    ]);
  });

  it('stores the tool loop as two model steps and a tool step, dated model kept and priced', () => {
    const { run, steps } = runs['refund_agent']!;
    expect(run).toMatchObject({
      status: 'success',
      step_count: 3,
      input_tokens: 2 * FAKE_USAGE.openai.input,
      output_tokens: 2 * FAKE_USAGE.openai.output,
    });
    expect(stepShapes(steps)).toEqual([
      ['model', FAKE_MODELS.openai, 'openai'],
      ['model', FAKE_MODELS.openai, 'openai'],
      ['tool', 'lookup_order', ''],
    ]);
    // gpt-4.1 list price: $2 in / $8 out per million tokens
    expect(run.cost_usd).toBeCloseTo((240 * 2 + 60 * 8) / 1e6, 9);
  });

  it('stores a streamed call with its usage', () => {
    const { run, steps } = runs['stream_agent']!;
    expect(run).toMatchObject({ status: 'success', step_count: 1, input_tokens: 120 });
    expect(stepShapes(steps)).toEqual([['model', FAKE_MODELS.openai, 'openai']]);
    expect(run.cost_usd).toBeGreaterThan(0);
  });

  it('makes an ai.embed root a run with its embedding step (step type other, priced)', () => {
    const { run, steps } = runs['embed_docs']!;
    expect(run).toMatchObject({
      status: 'success',
      step_count: 1,
      input_tokens: FAKE_USAGE.embedding.input,
    });
    // embeddings are steps of type `other` (docs/schema.md), priced since migration 29
    expect(stepShapes(steps)).toEqual([['other', FAKE_MODELS.embedding, 'openai']]);
    // text-embedding-3-small: $0.02 per million input tokens
    expect(steps[0]!.cost_usd).toBeCloseTo((FAKE_USAGE.embedding.input * 0.02) / 1e6, 12);
  });

  it('classifies the 429 as model/rate_limited on each attempt and the run', () => {
    const { run, steps, failures } = runs['limited_agent']!;
    expect(run).toMatchObject({
      status: 'failure',
      failure_type: 'model',
      failure_code: 'rate_limited',
    });
    expect(steps.map((s) => [s.step_type, s.failure_type, s.failure_code])).toEqual([
      ['model', 'model', 'rate_limited'],
      ['model', 'model', 'rate_limited'],
    ]);
    expect(failures.filter((f) => f.level === 'step')).toHaveLength(2);
  });

  it('counts the same tokens in agent_stats as in the runs', async () => {
    const stats = await statsOf(store, pipeline.serviceName);
    expect(stats.reduce((n, s) => n + s.input_tokens, 0)).toBe(
      Object.values(runs).reduce((n, r) => n + r.run.input_tokens, 0),
    );
    // agent_stats groups by the priced model name: the snapshot date is dropped there
    expect(stats.map((s) => [s.step_type, s.model, s.steps])).toEqual([
      ['model', 'gpt-4.1', 5],
      ['other', FAKE_MODELS.embedding, 1],
      ['tool', '', 1],
    ]);
  });

  it('stores none of the prompt, answer, tool input or result, metadata or session id', async () => {
    const stored = [
      await everythingStored(store),
      JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_steps')),
      JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_runs')),
      JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_failures')),
    ].join('\n');
    for (const secret of [...PLANTED_VALUES, TOOL_RESULT, SESSION, '4111 1111', 'Rue de Rivoli'])
      expect(stored).not.toContain(secret);
  });
});
