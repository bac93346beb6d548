import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { conventions as C, createAgentHooks } from '../src/index.js';
import { createPipeline } from './support/pipeline.js';

describe('createAgentHooks', () => {
  it('turns on_llm/on_tool start and end events into model and tool steps without content', async () => {
    const p = createPipeline();
    await p.agent('hooked').run(async (run) => {
      const hooks = createAgentHooks(run, { provider: 'openai', model: 'gpt-4o-mini' });
      hooks.onLlmStart([{ role: 'user', content: 'my card is 4111 1111 1111 1111' }]);
      hooks.onLlmEnd({
        model: 'gpt-4o-mini-2024-07-18',
        usage: {
          prompt_tokens: 50,
          completion_tokens: 12,
          prompt_tokens_details: { cached_tokens: 32 },
        },
      });
      hooks.onToolStart('get_weather', { city: 'Paris, near Jane' });
      hooks.onToolStart('get_weather', { city: 'Rome' });
      hooks.onToolEnd('get_weather', { temp: 21 });
      hooks.onToolError(
        'get_weather',
        Object.assign(new Error('timed out for Jane'), { name: 'TimeoutError' }),
      );
      hooks.onLlmStart([], { model: 'claude-haiku-4', provider: 'anthropic' });
      hooks.onLlmError(Object.assign(new Error('too many'), { status: 429 }));
    });

    const model = p.spans().filter((s) => s.attributes[C.ATTR_STEP_TYPE] === 'model');
    expect(model.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat claude-haiku-4']);
    expect(model[0]!.attributes).toMatchObject({
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [C.ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 50,
      [C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 12,
      [C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 32,
    });
    expect(model[1]!.attributes).toMatchObject({
      [C.ATTR_FAILURE_TYPE]: 'model',
      [C.ATTR_FAILURE_CODE]: 'rate_limited',
    });
    const tools = p.spans().filter((s) => s.attributes[C.ATTR_STEP_TYPE] === 'tool');
    expect(tools.map((s) => [s.name, s.status.code])).toEqual([
      ['execute_tool get_weather', SpanStatusCode.UNSET],
      ['execute_tool get_weather', SpanStatusCode.ERROR],
    ]);
    expect(tools[1]!.attributes[C.ATTR_FAILURE_CODE]).toBe('timeout');
    const run = p.byName('invoke_agent hooked');
    for (const s of [...model, ...tools])
      expect(s.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(run.attributes[C.ATTR_RUN_STATUS]).toBe('partial');
    expect(JSON.stringify(p.spans().map((s) => [s.attributes, s.events, s.status]))).not.toMatch(
      /Jane|Paris|4111|Rome/,
    );
  });

  it('ignores an end without a start', () => {
    const p = createPipeline();
    p.agent('h').run((run) => {
      const hooks = createAgentHooks(run);
      hooks.onToolEnd('never_started', null);
      hooks.onLlmEnd({});
    });
    expect(p.spans()).toHaveLength(1);
  });
});
