/**
 * The real `openai` client under `@arizeai/openinference-instrumentation-openai`
 * (inputs and outputs recorded, its default), against the fake provider,
 * through the SDK's processor and through the collector.
 */
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@agenttrace/clickhouse-exporter';
import {
  openPipeline,
  openTestStore,
  PIPELINE_PATHS,
  type Pipeline,
} from './support/collector-pipeline.js';
import {
  FAKE_MODELS,
  PLANTED,
  startFakeProvider,
  type FakeProvider,
} from './support/fake-provider.js';
import { plantedFound, viewsOf, type ViewsOf } from './support/views.js';

let fake: FakeProvider;
let store: Store;
const instrumentation = new OpenAIInstrumentation();
instrumentation.manuallyInstrument(OpenAI);

beforeAll(async () => {
  fake = await startFakeProvider();
  store = await openTestStore('real-openai-openinference');
});
afterAll(async () => {
  await fake.close();
  await store.close();
});

describe.each(PIPELINE_PATHS)('openai + OpenInference through the %s', (path) => {
  let pipeline: Pipeline;
  let views: ViewsOf;

  beforeAll(async () => {
    fake.reset();
    pipeline = await openPipeline(store, path, `openai-openinference-${path}`);
    instrumentation.setTracerProvider(pipeline.provider);
    const client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.openaiBaseURL, maxRetries: 0 });
    const messages = [
      { role: 'system' as const, content: PLANTED.system },
      { role: 'user' as const, content: PLANTED.prompt },
    ];
    await client.chat.completions.create({ model: 'gpt-4.1', messages });
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;
    fake.script({ kind: 'tool_call', name: 'lookup_order' });
    await pipeline.provider.getTracer('app').startActiveSpan('support_turn', async (span) => {
      const first = await client.chat.completions.create({
        model: 'gpt-4.1',
        messages,
        tools: [{ type: 'function', function: { name: 'lookup_order', parameters: {} } }],
      });
      const call = first.choices[0]?.message.tool_calls?.[0];
      await client.chat.completions.create({
        model: 'gpt-4.1',
        messages: [
          ...messages,
          first.choices[0]!.message,
          { role: 'tool', tool_call_id: call!.id, content: `order of ${PLANTED.email}` },
        ],
      });
      span.end();
    });
    await client.embeddings.create({ model: 'text-embedding-3-small', input: PLANTED.prompt });
    fake.script({ kind: 'error', status: 429 }, { kind: 'error', status: 500 });
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages })).rejects.toThrow();
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages })).rejects.toThrow();
    await pipeline.flush();
    expect(fake.requests).toHaveLength(7);
    views = await viewsOf(store, pipeline);
  });
  afterAll(() => pipeline.close());

  it('makes a run of each trace: bare calls named by the service, the app span by its name', () => {
    expect(views.runs.map((r) => [r.agent, r.status, r.step_count])).toEqual([
      [pipeline.serviceName, 'success', 1],
      [pipeline.serviceName, 'success', 1],
      ['support_turn', 'success', 2],
      [pipeline.serviceName, 'success', 1],
    ]);
  });

  it('keeps the dated model, the provider, tokens and a price for answered calls', () => {
    expect(views.steps.map((s) => [s.step_type, s.model, s.provider, s.duplicate_of])).toEqual([
      ['model', FAKE_MODELS.openai, 'openai', ''],
      // a stream: OpenInference keeps the requested model and reads no usage from it
      ['model', 'gpt-4.1', 'openai', ''],
      ['model', FAKE_MODELS.openai, 'openai', ''],
      ['model', FAKE_MODELS.openai, 'openai', ''],
      // embeddings: a step, not a model step, with no usage (priced: 0)
      ['other', FAKE_MODELS.embedding, 'openai', ''],
    ]);
    expect(views.steps.map((s) => [s.input_tokens, s.output_tokens, s.cost_usd])).toEqual([
      [120, 30, 0.00048],
      [0, 0, 0],
      [120, 30, 0.00048],
      [120, 30, 0.00048],
      [0, 0, 0],
    ]);
    expect(views.runs[2]).toMatchObject({
      input_tokens: 240,
      output_tokens: 60,
      cost_usd: 0.00096,
    });
  });

  it('rolls the runs up per hour, each call once', () => {
    expect(views.stats).toMatchObject({
      runs: 4,
      steps: 5,
      modelSteps: 4,
      toolSteps: 0,
      inputTokens: 360,
      outputTokens: 90,
      statsModelSteps: 4,
      statsInputTokens: 360,
    });
    expect(views.stats.costUsd).toBeCloseTo(0.00144, 8);
    expect(views.stats.statsCostUsd).toBeCloseTo(0.00144, 8);
  });

  it('stores no step for a failed call: the instrumentation ends a span only on success', () => {
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(6);
    expect(views.failures).toEqual([]);
  });
});

describe('what is stored', () => {
  it('holds none of the planted prompt, answer, tool arguments, e-mail or status message', async () => {
    expect(await plantedFound(store)).toEqual([]);
  });
});
