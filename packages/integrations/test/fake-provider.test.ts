/**
 * The shared test support works: the real `openai` and `@anthropic-ai/sdk`
 * clients parse every reply the fake provider scripts, and a span sent down
 * either pipeline lands in the shared store under its service name.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@agenttrace/clickhouse-exporter';
import {
  everythingStored,
  openPipeline,
  openTestStore,
  PIPELINE_PATHS,
} from './support/collector-pipeline.js';
import {
  FAKE_MODELS,
  PLANTED,
  startFakeProvider,
  type FakeProvider,
} from './support/fake-provider.js';

let fake: FakeProvider;
let store: Store;

beforeAll(async () => {
  fake = await startFakeProvider();
  store = await openTestStore('fake-provider');
});
afterAll(async () => {
  await fake.close();
  await store.close();
});

describe('startFakeProvider', () => {
  it('answers the openai client: chat, stream with usage, tool call, embeddings, 429', async () => {
    const client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.openaiBaseURL, maxRetries: 0 });
    const chat = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: PLANTED.prompt }],
    });
    expect(chat.model).toBe(FAKE_MODELS.openai);
    expect(chat.choices[0]?.message.content).toBe(PLANTED.answer);
    expect(chat.usage?.prompt_tokens).toBe(120);

    const stream = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: PLANTED.prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage?.completion_tokens ?? usage;
    }
    expect(text).toBe(PLANTED.answer);
    expect(usage).toBe(30);

    fake.script({ kind: 'tool_call', name: 'lookup_order' });
    const tool = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: PLANTED.prompt }],
      tools: [{ type: 'function', function: { name: 'lookup_order', parameters: {} } }],
    });
    const call = tool.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.arguments).toBe(PLANTED.toolArgs);

    const embedding = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: PLANTED.prompt,
    });
    expect(embedding.data[0]?.embedding).toHaveLength(8);

    fake.script({ kind: 'error', status: 429 });
    await expect(
      client.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('answers the anthropic client: message, stream, tool use, 500', async () => {
    const client = new Anthropic({
      apiKey: 'sk-fake',
      baseURL: fake.anthropicBaseURL,
      maxRetries: 0,
    });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: PLANTED.prompt }],
    });
    expect(message.model).toBe(FAKE_MODELS.anthropic);
    expect(message.content[0]?.type === 'text' && message.content[0].text).toBe(PLANTED.answer);

    const streamed = await client.messages
      .stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: PLANTED.prompt }],
      })
      .finalMessage();
    expect(streamed.usage.output_tokens).toBe(40);

    fake.script({ kind: 'tool_call', name: 'lookup_order' });
    const tool = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: PLANTED.prompt }],
    });
    expect(tool.content[0]?.type).toBe('tool_use');

    fake.script({ kind: 'error', status: 500 });
    await expect(
      client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.InternalServerError);
  });
});

describe.each(PIPELINE_PATHS)('openPipeline (%s)', (path) => {
  it('stores a span under its service name, content dropped', async () => {
    const pipeline = await openPipeline(store, path, `smoke-${path}`);
    const span = pipeline.provider.getTracer('smoke').startSpan('smoke', {
      attributes: { 'gen_ai.prompt.0.content': PLANTED.prompt },
    });
    span.end();
    await pipeline.flush();
    expect(await pipeline.traceIds()).toEqual([span.spanContext().traceId]);
    await pipeline.close();
    expect(await everythingStored(store)).not.toContain('PLANTED-');
  });
});
