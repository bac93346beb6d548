/**
 * Spans as other instrumentations send them (OpenInference, the Vercel AI
 * SDK, GenAI conventions), carrying prompts, responses, e-mails, phone
 * numbers and keys in attributes, names, status messages, events and the
 * resource: none of it may reach the exporter or /metrics, while token counts
 * and model names are kept under the GenAI names.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hexId, post, startCollector, type TestCollector } from './helpers.js';

const PROMPT = 'Please summarise the contract for Jane Doe';
const RESPONSE = 'The contract says the balance is 4,200 dollars';
const EMAIL = 'jane.doe@example.com';
const PHONE = '+1 415 555 0134';
const KEY = 'sk-proj-abcdefghijklmnop1234567890';
// No short digit runs here: ids and timestamps in the dump would match them by chance.
const SECRETS = [PROMPT, RESPONSE, EMAIL, PHONE, KEY, 'Jane', 'contract', '555 0134', 'sk-proj'];

/** Everything an exporter could write, as one string. */
function dump(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      ctx: s.spanContext(),
      parent: s.parentSpanContext,
      status: s.status,
      attributes: s.attributes,
      events: s.events,
      links: s.links,
      resource: s.resource.attributes,
      scope: s.instrumentationScope,
    })),
  );
}

async function sendForeignSpans(exporter: SpanExporter): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'rag-app',
      'user.email': EMAIL,
      'enduser.phone': PHONE,
      'openai.api_key': KEY,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer(`scope-of-${EMAIL}`);
  // OpenInference (Arize / Phoenix)
  const oi = tracer.startSpan('ChatCompletion', {
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-mini',
      'llm.token_count.prompt': 321,
      'llm.token_count.completion': 45,
      'input.value': PROMPT,
      'output.value': RESPONSE,
      'llm.input_messages.0.message.content': PROMPT,
      'llm.output_messages.0.message.content': RESPONSE,
      'llm.invocation_parameters': `{"api_key":"${KEY}"}`,
    },
  });
  oi.addEvent(`user ${EMAIL} asked`, {
    'exception.message': PROMPT,
    'exception.type': 'ValueError',
  });
  oi.setStatus({ code: SpanStatusCode.ERROR, message: `failed for ${PHONE}` });
  oi.end();
  // Vercel AI SDK
  const ai = tracer.startSpan('ai.generateText', {
    attributes: {
      'ai.operationId': 'ai.generateText',
      'ai.model.id': 'claude-3-5-sonnet',
      'ai.model.provider': 'anthropic.messages',
      'ai.prompt': PROMPT,
      'ai.prompt.messages': `[{"role":"user","content":"${PROMPT}"}]`,
      'ai.response.text': RESPONSE,
      'ai.usage.promptTokens': 88,
      'ai.usage.completionTokens': 12,
      'ai.telemetry.metadata.userEmail': EMAIL,
    },
  });
  ai.end();
  // GenAI semantic conventions, content capture on
  const genai = tracer.startSpan(`chat ${EMAIL}`, {
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'gen_ai.input.messages': `[{"role":"user","parts":[{"type":"text","content":"${PROMPT}"}]}]`,
      'gen_ai.output.messages': RESPONSE,
      'gen_ai.system_instructions': `Call ${PHONE} if unsure`,
      'gen_ai.agent.name': EMAIL,
      'user.phone': PHONE,
    },
  });
  genai.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': PROMPT });
  genai.end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('privacy of what the collector exports', () => {
  let t: TestCollector;
  beforeEach(async () => {
    t = await startCollector();
  });
  afterEach(async () => {
    await t.collector.close();
  });

  it.each([
    ['protobuf', () => new OtlpProtoExporter({ url: `${t.url}/v1/traces` })],
    ['JSON', () => new OtlpHttpExporter({ url: `${t.url}/v1/traces` })],
  ] as [string, () => SpanExporter][])(
    '%s: no content or personal data leaves, usage stays',
    async (_n, make) => {
      await sendForeignSpans(make());
      await t.collector.forceFlush();
      const spans = t.exporter.getFinishedSpans();
      expect(spans).toHaveLength(3);
      const out = dump(spans) + t.collector.renderMetrics();
      for (const secret of SECRETS) expect(out).not.toContain(secret);

      const byOp = (op: string) =>
        spans.filter((s) => s.attributes['gen_ai.operation.name'] === op);
      const oi = spans.find((s) => s.name === 'ChatCompletion');
      const genai = byOp('chat').find((s) => s !== oi);
      expect(oi?.attributes).toMatchObject({
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 321,
        'gen_ai.usage.output_tokens': 45,
      });
      expect(oi?.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(oi?.events[0]?.attributes).toEqual({ 'exception.type': 'ValueError' });
      expect(genai?.attributes).toMatchObject({
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 200,
      });
      expect(genai?.name).toBe('chat gpt-4o');
      const [ai] = byOp('invoke_agent');
      expect(ai?.name).toBe('ai.generateText');
      expect(ai?.attributes).toMatchObject({
        'gen_ai.request.model': 'claude-3-5-sonnet',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.usage.input_tokens': 88,
        'gen_ai.usage.output_tokens': 12,
      });
      for (const s of spans) expect(s.resource.attributes).toEqual({ 'service.name': 'rag-app' });
    },
  );

  it('values OTel attributes cannot hold (kvlist, bytes) never surface, nor their keys as labels', async () => {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'rag-app' } }] },
          scopeSpans: [
            {
              scope: { name: 'raw' },
              spans: [
                {
                  traceId: hexId(16),
                  spanId: hexId(8),
                  name: 'chat gpt-4o',
                  kind: 'SPAN_KIND_CLIENT',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000001000000000',
                  attributes: [
                    { key: 'gen_ai.usage.input_tokens', value: { intValue: '42' } },
                    {
                      key: 'gen_ai.input.messages',
                      value: {
                        kvlistValue: {
                          values: [{ key: 'content', value: { stringValue: PROMPT } }],
                        },
                      },
                    },
                    {
                      key: `by ${EMAIL}`,
                      value: { bytesValue: Buffer.from(RESPONSE).toString('base64') },
                    },
                    {
                      key: 'tags',
                      value: { arrayValue: { values: [{ stringValue: KEY }, { intValue: 1 }] } },
                    },
                  ],
                  status: { code: 'STATUS_CODE_ERROR', message: `failed for ${EMAIL}` },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(t.url, JSON.stringify(body), 'application/json');
    expect(res.status).toBe(200);
    await t.collector.forceFlush();
    const spans = t.exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes).toEqual({
      'gen_ai.usage.input_tokens': 42,
      'agenttrace.privacy.dropped': 4,
    });
    const out = dump(spans) + t.collector.renderMetrics();
    for (const secret of SECRETS) expect(out).not.toContain(secret);
    expect(out).toContain('key="(unsafe_key)"');
  });
});
