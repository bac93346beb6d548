/**
 * The real `@anthropic-ai/sdk` client against the fake provider under
 * OpenLLMetry's `@traceloop/instrumentation-anthropic`, then under
 * `@arizeai/openinference-instrumentation-anthropic`, each through the SDK's
 * processor and through the collector. The two cannot record the same call:
 * `@opentelemetry/instrumentation` unwraps a wrapped method before wrapping
 * it, so the one instrumented last replaces the other (cases run in order).
 */
import { AnthropicInstrumentation as OpenInferenceAnthropic } from '@arizeai/openinference-instrumentation-anthropic';
import Anthropic, { APIPromise } from '@anthropic-ai/sdk';
import { AnthropicInstrumentation as OpenLLMetryAnthropic } from '@traceloop/instrumentation-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@agenttrace/clickhouse-exporter';
import {
  openPipeline,
  openTestStore,
  PIPELINE_PATHS,
  type Pipeline,
  type PipelinePath,
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
const openllmetry = new OpenLLMetryAnthropic({ traceContent: true });
const openinference = new OpenInferenceAnthropic();
/** Wraps the client with OpenLLMetry's instrumentation, replacing any other wrapper. */
function instrumentOpenLLMetry(): void {
  // 0.27 also wraps the legacy `Anthropic.Completions`, which SDK 1.x no longer has (it throws
  // on `undefined.prototype`): hand it the real Messages classes beside a stand-in, and the
  // APIPromise its stream wrapper builds.
  openllmetry.manuallyInstrument({
    Anthropic: { Completions: class {}, Messages: Anthropic.Messages, Beta: Anthropic.Beta },
    APIPromise,
  } as unknown as Parameters<typeof openllmetry.manuallyInstrument>[0]);
}

beforeAll(async () => {
  fake = await startFakeProvider();
  store = await openTestStore('real-anthropic');
});
afterAll(async () => {
  await fake.close();
  await store.close();
});

type Mode = 'openllmetry' | 'openinference';
const CASES: [Mode, PipelinePath][] = (['openllmetry', 'openinference'] as const).flatMap((mode) =>
  PIPELINE_PATHS.map((path): [Mode, PipelinePath] => [mode, path]),
);

/** The calls every case makes: a message, a stream, a tool loop in an app span, a 429 and a 500. */
async function calls(pipeline: Pipeline): Promise<void> {
  const client = new Anthropic({
    apiKey: 'sk-fake',
    baseURL: fake.anthropicBaseURL,
    maxRetries: 0,
  });
  const base = {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    system: PLANTED.system,
    messages: [{ role: 'user' as const, content: PLANTED.prompt }],
  };
  await client.messages.create(base);
  await client.messages.stream(base).finalMessage();
  fake.script({ kind: 'tool_call', name: 'lookup_order' });
  await pipeline.provider.getTracer('app').startActiveSpan('support_turn', async (span) => {
    const tools = [{ name: 'lookup_order', input_schema: { type: 'object' as const } }];
    const first = await client.messages.create({ ...base, tools });
    const use = first.content.find((b) => b.type === 'tool_use');
    await client.messages.create({
      ...base,
      tools,
      messages: [
        ...base.messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: use!.id, content: `order of ${PLANTED.email}` },
          ],
        },
      ],
    });
    span.end();
  });
  fake.script({ kind: 'error', status: 429 }, { kind: 'error', status: 500 });
  await expect(client.messages.create(base)).rejects.toBeInstanceOf(Anthropic.RateLimitError);
  await expect(client.messages.create(base)).rejects.toBeInstanceOf(Anthropic.InternalServerError);
}

describe.each(CASES)('anthropic under %s through the %s', (mode, path) => {
  let pipeline: Pipeline;
  let views: ViewsOf;

  beforeAll(async () => {
    fake.reset();
    pipeline = await openPipeline(store, path, `anthropic-${mode}-${path}`);
    if (mode === 'openllmetry') {
      instrumentOpenLLMetry();
      openllmetry.setTracerProvider(pipeline.provider);
    } else {
      openinference.manuallyInstrument(Anthropic);
      openinference.setTracerProvider(pipeline.provider);
    }
    await calls(pipeline);
    await pipeline.flush();
    expect(fake.requests).toHaveLength(6);
    views = await viewsOf(store, pipeline);
  });
  afterAll(() => pipeline.close());

  it('makes a run of each trace: bare calls named by the service, the app span by its name', () => {
    expect(views.runs.map((r) => [r.agent, r.status, r.step_count, r.failure_code])).toEqual([
      [pipeline.serviceName, 'success', 1, ''],
      [pipeline.serviceName, 'success', 1, ''],
      ['support_turn', 'success', 2, ''],
      [pipeline.serviceName, 'failure', 1, 'rate_limited'],
      [pipeline.serviceName, 'failure', 1, 'unavailable'],
    ]);
  });

  it('keeps the dated model and the provider, and classifies the 429 and the 500', () => {
    expect(views.steps.map((s) => [s.step_type, s.model, s.provider, s.failure_code])).toEqual([
      ...Array.from({ length: 4 }, () => ['model', FAKE_MODELS.anthropic, 'anthropic', '']),
      ['model', 'claude-sonnet-4-5', 'anthropic', 'rate_limited'],
      ['model', 'claude-sonnet-4-5', 'anthropic', 'unavailable'],
    ]);
    expect(views.failures.map((f) => [f.level, f.failure_type, f.failure_code])).toEqual([
      ['run', 'model', 'rate_limited'],
      ['step', 'model', 'rate_limited'],
      ['run', 'model', 'unavailable'],
      ['step', 'model', 'unavailable'],
    ]);
  });

  it('counts tokens and prices every answered call, streamed ones included', () => {
    // OpenLLMetry reports Anthropic's input_tokens as sent (cache reads and writes
    // not included); OpenInference adds them (200 + 16 + 24), as GenAI says
    const input = mode === 'openllmetry' ? 200 : 240;
    const cost = mode === 'openllmetry' ? 0.0011568 : 0.0012768;
    // a step bills its 24 cache-write tokens at $3.75 instead of $3 (migration 29); the
    // hourly rollups keep no cache-write tokens and bill them at the input rate
    const stepCost = cost + (24 * 0.75) / 1e6;
    for (const step of views.steps.slice(0, 4)) {
      expect([step.input_tokens, step.output_tokens, step.cached_tokens]).toEqual([input, 40, 16]);
      expect(step.cost_usd).toBeCloseTo(stepCost, 9);
    }
    expect(views.stats).toMatchObject({
      runs: 5,
      steps: 6,
      modelSteps: 6,
      toolSteps: 0,
      inputTokens: 4 * input,
      outputTokens: 160,
      statsModelSteps: 6,
      statsInputTokens: 4 * input,
    });
    expect(views.stats.costUsd).toBeCloseTo(4 * cost, 9);
    expect(views.stats.statsCostUsd).toBeCloseTo(4 * cost, 9);
  });
});

describe('what is stored', () => {
  it('holds none of the planted prompt, answer, tool arguments, e-mail or status message', async () => {
    expect(await plantedFound(store)).toEqual([]);
  });
});
