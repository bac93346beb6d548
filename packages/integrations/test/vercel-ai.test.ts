/**
 * The Vercel AI SDK (`ai`, with its own MockLanguageModelV2) traced through
 * its telemetry option: spans go through the allowlist into the store and
 * come out as a run with model and tool steps and token counts, without the
 * prompt, the answer or the tool's input and output.
 */
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { getRunSteps, listRuns } from '@agenttrace/query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { storePipeline } from './support/store.js';

const PROMPT = 'What is the weather for Jane Doe (jane.doe@example.com) in Paris?';
const ANSWER = 'It is 21 degrees in Paris, Jane.';
let p: Awaited<ReturnType<typeof storePipeline>>;

beforeAll(async () => {
  p = await storePipeline('vercel-ai');
  let call = 0;
  const model = new MockLanguageModelV2({
    provider: 'openai.chat',
    modelId: 'gpt-4o-mini',
    doGenerate: async () => {
      call++;
      return call === 1
        ? {
            content: [
              {
                type: 'tool-call',
                toolCallId: 'call_1',
                toolName: 'weather',
                input: JSON.stringify({ city: 'Paris' }),
              },
            ],
            finishReason: 'tool-calls',
            usage: { inputTokens: 120, outputTokens: 18, totalTokens: 138 },
            warnings: [],
          }
        : {
            content: [{ type: 'text', text: ANSWER }],
            finishReason: 'stop',
            usage: { inputTokens: 160, outputTokens: 12, totalTokens: 172 },
            warnings: [],
          };
    },
  });
  await generateText({
    model,
    prompt: PROMPT,
    tools: {
      weather: tool({
        description: 'Weather for a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => ({ city, celsius: 21, note: 'sunny for Jane' }),
      }),
    },
    stopWhen: stepCountIs(3),
    experimental_telemetry: {
      isEnabled: true,
      functionId: 'weather_agent',
      tracer: p.provider.getTracer('ai'),
    },
  });
  await p.flush();
}, 60_000);

afterAll(async () => p?.close());

describe('Vercel AI SDK through the allowlist and the store', () => {
  it('stores one run with two model steps, one tool step and the token counts', async () => {
    const runs = await listRuns(p.store.client);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({
      agent: 'weather_agent',
      status: 'success',
      input_tokens: 280,
      output_tokens: 30,
    });
    const steps = await getRunSteps(p.store.client, run.run_id);
    const models = steps.filter((s) => s.step_type === 'model');
    expect(models).toHaveLength(2);
    expect(models.every((s) => s.model === 'gpt-4o-mini' && s.provider === 'openai')).toBe(true);
    expect(models.map((s) => s.input_tokens)).toEqual([120, 160]);
    expect(steps.filter((s) => s.step_type === 'tool').map((s) => s.tool)).toEqual(['weather']);
    expect(run.cost_usd).toBeGreaterThan(0);
  });

  it('stores none of the prompt, the answer or the tool input and output', async () => {
    const stored = await p.everything();
    for (const secret of [
      'Jane',
      'jane.doe',
      'Paris',
      '21 degrees',
      'sunny',
      'What is the weather',
    ])
      expect(stored).not.toContain(secret);
  });
});
