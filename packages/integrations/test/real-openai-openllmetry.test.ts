/**
 * The real `openai` client under OpenLLMetry's `@traceloop/instrumentation-openai`
 * (content tracing on), against the fake provider, through the SDK's
 * processor and through the collector.
 */
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
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
const instrumentation = new OpenAIInstrumentation({ traceContent: true });
instrumentation.manuallyInstrument(OpenAI);

beforeAll(async () => {
  fake = await startFakeProvider();
  store = await openTestStore('real-openai-openllmetry');
});
afterAll(async () => {
  await fake.close();
  await store.close();
});

describe.each(PIPELINE_PATHS)('openai + OpenLLMetry through the %s', (path) => {
  let pipeline: Pipeline;
  let views: ViewsOf;

  beforeAll(async () => {
    fake.reset();
    pipeline = await openPipeline(store, path, `openai-openllmetry-${path}`);
    instrumentation.setTracerProvider(pipeline.provider);
    const client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.openaiBaseURL, maxRetries: 0 });
    const messages = [
      { role: 'system' as const, content: PLANTED.system },
      { role: 'user' as const, content: PLANTED.prompt },
    ];
    // 1: a bare call, its own trace
    await client.chat.completions.create({ model: 'gpt-4.1', messages });
    // 2: a streamed call with usage
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;
    // 3: a tool loop inside the application's own (non-agent) span
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
    // 4, 5: a 429 and a 500
    fake.script({ kind: 'error', status: 429 }, { kind: 'error', status: 500 });
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages })).rejects.toThrow();
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages })).rejects.toThrow();
    await pipeline.flush();
    expect(fake.requests).toHaveLength(6);
    views = await viewsOf(store, pipeline);
  });
  afterAll(() => pipeline.close());

  it('makes a run of each trace: bare calls named by the service, the app span by its name', () => {
    expect(views.runs.map((r) => [r.agent, r.status, r.step_count])).toEqual([
      [pipeline.serviceName, 'success', 1],
      [pipeline.serviceName, 'success', 1],
      ['support_turn', 'success', 2],
    ]);
  });

  it('keeps the dated model, the provider, tokens and a price for every model step', () => {
    expect(views.steps).toHaveLength(4);
    for (const step of views.steps) {
      expect(step).toMatchObject({
        step_type: 'model',
        model: FAKE_MODELS.openai,
        provider: 'openai',
      });
      expect(step.duplicate_of).toBe('');
    }
    const [bare, streamed, ...loop] = views.steps;
    expect([bare!.input_tokens, bare!.output_tokens, bare!.cost_usd]).toEqual([120, 30, 0.00048]);
    // OpenLLMetry ignores the stream's usage chunk (it counts only with enrichTokens)
    expect([streamed!.input_tokens, streamed!.output_tokens]).toEqual([0, 0]);
    expect(loop.map((s) => s.input_tokens)).toEqual([120, 120]);
    expect(views.runs[2]).toMatchObject({
      input_tokens: 240,
      output_tokens: 60,
      cost_usd: 0.00096,
    });
  });

  it('rolls the runs up per hour, each call once', () => {
    expect(views.stats).toMatchObject({
      runs: 3,
      steps: 4,
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

  it('stores no step for a failed call: the instrumentation never ends its span', () => {
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(6);
    expect(views.failures).toEqual([]);
  });
});

describe.each(PIPELINE_PATHS)('a framework model span around the call, through the %s', (path) => {
  let pipeline: Pipeline;
  let views: ViewsOf;

  beforeAll(async () => {
    fake.reset();
    pipeline = await openPipeline(store, path, `openai-openllmetry-nested-${path}`);
    instrumentation.setTracerProvider(pipeline.provider);
    const client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.openaiBaseURL, maxRetries: 0 });
    // a framework's own GenAI span for the call, the instrumented client's span inside it
    const framework = pipeline.provider.getTracer('framework');
    await framework.startActiveSpan(
      'chat gpt-4.1',
      {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4.1',
        },
      },
      async (span) => {
        const res = await client.chat.completions.create({
          model: 'gpt-4.1',
          messages: [{ role: 'user', content: PLANTED.prompt }],
        });
        span.setAttributes({
          'gen_ai.response.model': res.model,
          'gen_ai.usage.input_tokens': res.usage!.prompt_tokens,
          'gen_ai.usage.output_tokens': res.usage!.completion_tokens,
        });
        span.end();
      },
    );
    await pipeline.flush();
    views = await viewsOf(store, pipeline);
  });
  afterAll(() => pipeline.close());

  it('counts the call once in the run, its steps and both rollups', () => {
    expect(
      views.runs.map((r) => [r.step_count, r.input_tokens, r.output_tokens, r.cost_usd]),
    ).toEqual([[1, 120, 30, 0.00048]]);
    // Both steps can start in the same millisecond, so their order is not theirs to give:
    // the outer one is the step without a mark, the nested one points at it.
    expect(views.steps).toHaveLength(2);
    const outer = views.steps.find((s) => s.duplicate_of === '');
    const inner = views.steps.find((s) => s.duplicate_of !== '');
    expect(outer).toBeDefined();
    expect(inner?.duplicate_of).toBe(outer?.span_id);
    expect(views.stats).toMatchObject({
      runs: 1,
      modelSteps: 1,
      inputTokens: 120,
      outputTokens: 30,
      statsModelSteps: 1,
      statsInputTokens: 120,
      statsOutputTokens: 30,
    });
    expect(views.stats.statsCostUsd).toBeCloseTo(0.00048, 8);
  });
});

describe('what is stored', () => {
  it('holds none of the planted prompt, answer, tool arguments, e-mail or status message', async () => {
    expect(await plantedFound(store)).toEqual([]);
  });
});
