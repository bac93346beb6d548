import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import {
  AllowlistSpanProcessor,
  conventions as C,
  createPrivacyPolicy,
  rule,
  type PrivacyPolicyOptions,
} from '../../src/index.js';
import { createPipeline } from '../support/pipeline.js';

/** Ends one raw span with the given attributes through the pipeline and returns what was exported. */
function exportRaw(attributes: Attributes, name = 'raw', policy?: PrivacyPolicyOptions) {
  const p = createPipeline({ policy });
  const span = p.provider.getTracer('third-party').startSpan(name, { attributes });
  span.end();
  return { span: p.spans()[0]!, stats: p.allowlist.stats() };
}

describe('AllowlistSpanProcessor', () => {
  describe('third-party GenAI spans', () => {
    it('drops prompts, responses and documents, keeping token counts and models under the conventions names', () => {
      const { span, stats } = exportRaw({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': '[{"role":"user","content":"my SSN is 078-05-1120"}]',
        'gen_ai.output.messages': '[{"role":"assistant","content":"noted"}]',
        'gen_ai.prompt.0.content': 'secret prompt',
        'gen_ai.completion.0.content': 'secret answer',
        'gen_ai.usage.prompt_tokens': 11,
        'gen_ai.usage.completion_tokens': 7,
        'input.value': 'hello',
        'output.value': 'world',
        'llm.input_messages.0.message.content': 'hi',
        'llm.token_count.prompt': 99,
        'retrieval.documents.0.document.content': 'the handbook',
        'ai.prompt': '{"prompt":"x"}',
        'ai.prompt.messages': '[]',
        'ai.response.text': 'answer text',
        'ai.model.provider': 'anthropic.messages',
      });
      expect(span.attributes).toEqual({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 7,
        [C.ATTR_PRIVACY_DROPPED]: 13,
      });
      expect(stats.droppedByKey).toMatchObject({
        'gen_ai.input.messages': 1,
        'input.value': 1,
        'ai.response.text': 1,
      });
    });

    it('maps OpenInference and Vercel AI SDK names', () => {
      const oi = exportRaw({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'claude-3-5-sonnet',
        'llm.token_count.prompt': 5,
        'llm.token_count.completion': 2,
      }).span;
      expect(oi.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'claude-3-5-sonnet',
        'gen_ai.usage.input_tokens': 5,
        'gen_ai.usage.output_tokens': 2,
      });
      const ai = exportRaw({
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'gpt-4o-mini',
        'ai.model.provider': 'openai.chat',
        'ai.usage.promptTokens': 3,
        'ai.usage.completionTokens': 4,
      }).span;
      expect(ai.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.provider.name': 'openai',
        'gen_ai.usage.input_tokens': 3,
        'gen_ai.usage.output_tokens': 4,
      });
    });
  });

  describe('labels', () => {
    it.each([
      ['an e-mail', 'jane.doe@example.com'],
      ['a phone number', '415-555-0199'],
      ['a card number', '4111-1111-1111-1111'],
      ['an IPv4 address', '10.0.12.7'],
      ['an IPv6 address', 'fe80:0:0:0:202:b3ff:fe1e:8329'],
      ['an sk- key', 'sk-proj-abcdEFGH12345678'],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig'],
      ['free text', 'please refund my order'],
      ['a long label', 'x'.repeat(200)],
    ])('drops %s even in an allowed label key', (_what, value) => {
      const { span } = exportRaw({ 'gen_ai.request.model': value, 'gen_ai.tool.name': 'ok_tool' });
      expect(span.attributes).toEqual({
        'gen_ai.tool.name': 'ok_tool',
        [C.ATTR_PRIVACY_DROPPED]: 1,
      });
    });

    it('keeps ordinary model names, versions and dates', () => {
      for (const model of [
        'gpt-4o-2024-08-06',
        'claude-3-5-sonnet-20241022',
        'meta-llama/Llama-3.1-8B',
        'ft:gpt-4o-mini:acme:v2',
        'grok-4',
      ]) {
        expect(
          exportRaw({ 'gen_ai.request.model': model }).span.attributes['gen_ai.request.model'],
        ).toBe(model);
      }
    });

    it('checks values against the rule kind: enum, integer bounds, boolean, arrays', () => {
      const { span } = exportRaw({
        [C.ATTR_STEP_TYPE]: 'dream',
        [C.ATTR_STEP_ATTEMPT]: 0,
        [C.ATTR_HTTP_RESPONSE_STATUS_CODE]: 503,
        [C.ATTR_GEN_AI_REQUEST_STREAM]: 'yes',
        [C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop', 'the user said hi'],
        [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1.5,
      });
      expect(span.attributes).toEqual({
        [C.ATTR_HTTP_RESPONSE_STATUS_CODE]: 503,
        [C.ATTR_PRIVACY_DROPPED]: 5,
      });
    });
  });

  describe('names, events, links, status, resource, scope', () => {
    it('replaces an unsafe span name with a derived one and drops exception messages and stacks', () => {
      const p = createPipeline();
      const span = p.provider
        .getTracer('t')
        .startSpan('Answer the question: where is jane@example.com?', {
          attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' },
        });
      span.recordException(
        Object.assign(new Error('user 4111 1111 1111 1111 declined'), { name: 'CardError' }),
      );
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: 'card 4111 1111 1111 1111 declined for Jane',
      });
      span.end();
      const out = p.spans()[0]!;
      expect(out.name).toBe('execute_tool lookup');
      expect(out.events).toHaveLength(1);
      expect(out.events[0]!.name).toBe('exception');
      expect(out.events[0]!.attributes).toEqual({ 'exception.type': 'CardError' });
      expect(out.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(JSON.stringify(out.events)).not.toMatch(/4111|stack|declined/);
    });

    it('filters link attributes, drops trace state and filters the resource and scope', () => {
      const exporter = new InMemorySpanExporter();
      const processor = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter));
      const ctx = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
      const raw: ReadableSpan = {
        name: 'x',
        kind: SpanKind.INTERNAL,
        spanContext: () => ctx,
        startTime: [1, 0],
        endTime: [2, 0],
        duration: [1, 0],
        ended: true,
        status: { code: SpanStatusCode.UNSET },
        attributes: {},
        links: [
          {
            context: {
              ...ctx,
              traceState: {
                get: () => 'x',
                set: () => {
                  throw new Error();
                },
                unset: () => {
                  throw new Error();
                },
                serialize: () => 'vendor=jane',
              },
            },
            attributes: {
              'user.email': 'jane@example.com',
              [C.ATTR_RUN_ID]: '123e4567-e89b-42d3-a456-426614174000',
            },
          },
        ],
        events: [],
        resource: resourceFromAttributes({
          'service.name': 'svc',
          'user.name': 'jane',
          'process.command_args': ['--token', 'abc'],
        }),
        instrumentationScope: {
          name: 'my scope with spaces',
          version: '1.0.0',
          schemaUrl: 'https://evil.example/jane',
        },
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      };
      processor.onEnd(raw);
      const out = exporter.getFinishedSpans()[0]!;
      expect(out.links[0]!.attributes).toEqual({
        [C.ATTR_RUN_ID]: '123e4567-e89b-42d3-a456-426614174000',
      });
      expect(out.links[0]!.context.traceState).toBeUndefined();
      expect(out.resource.attributes).toEqual({ 'service.name': 'svc' });
      expect(out.instrumentationScope).toEqual({
        name: 'redacted',
        version: '1.0.0',
        schemaUrl: undefined,
      });
      expect(raw.links[0]!.attributes).toHaveProperty('user.email');
    });

    it('fails closed: a span whose filtering throws is handed on as a skeleton', () => {
      const exporter = new InMemorySpanExporter();
      const processor = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter));
      const ctx = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 };
      const hostile = new Proxy(
        { prompt: 'leak me' },
        {
          ownKeys: () => {
            throw new Error('boom');
          },
        },
      );
      processor.onEnd({
        name: 'leak me',
        kind: SpanKind.CLIENT,
        spanContext: () => ctx,
        startTime: [1, 0],
        endTime: [2, 0],
        duration: [1, 0],
        ended: true,
        status: { code: SpanStatusCode.ERROR, message: 'leak me' },
        attributes: hostile,
        links: [],
        events: [],
        resource: resourceFromAttributes({ 'service.name': 'leak me' }),
        instrumentationScope: { name: 'leak me' },
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      });
      const out = exporter.getFinishedSpans()[0]!;
      expect(out.name).toBe('redacted');
      expect(out.spanContext().spanId).toBe(ctx.spanId);
      expect(out.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(
        JSON.stringify({
          a: out.attributes,
          r: out.resource.attributes,
          s: out.instrumentationScope,
        }),
      ).not.toContain('leak');
      expect(processor.stats().failedClosed).toBe(1);
    });

    it('never mutates the span other processors see', () => {
      const seen = new InMemorySpanExporter();
      const filtered = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        spanProcessors: [
          new AllowlistSpanProcessor(new SimpleSpanProcessor(filtered)),
          new SimpleSpanProcessor(seen),
        ],
      });
      provider
        .getTracer('t')
        .startSpan('x', { attributes: { 'input.value': 'prompt text' } })
        .end();
      expect(filtered.getFinishedSpans()[0]!.attributes).toEqual({ [C.ATTR_PRIVACY_DROPPED]: 1 });
      expect(seen.getFinishedSpans()[0]!.attributes).toEqual({ 'input.value': 'prompt text' });
    });
  });

  describe('policy', () => {
    it('lets users extend it with typed entries and refuses content keys and malformed rules', () => {
      const policy = {
        metadata: { tier: rule.enum(['free', 'pro']) },
        spanAttributes: { 'app.region': rule.label({ pattern: /^[a-z]{2}-[a-z]+-\d$/ }) },
      };
      const { span } = exportRaw(
        {
          'agenttrace.meta.tier': 'pro',
          'agenttrace.meta.note': 'call me',
          'agenttrace.meta.count': 3,
          'app.region': 'eu-west-1',
        },
        'x',
        policy,
      );
      expect(span.attributes).toEqual({
        'agenttrace.meta.tier': 'pro',
        'agenttrace.meta.count': 3,
        'app.region': 'eu-west-1',
        [C.ATTR_PRIVACY_DROPPED]: 1,
      });
      expect(() =>
        createPrivacyPolicy({ spanAttributes: { 'exception.message': rule.label() } }),
      ).toThrow(/exception.message.*can never be allowed/);
      expect(() =>
        createPrivacyPolicy({ spanAttributes: { 'gen_ai.prompt.0.content': rule.label() } }),
      ).toThrow(/can never be allowed/);
      expect(() =>
        createPrivacyPolicy({ spanAttributes: { x: rule.label({ pattern: /[a-z]+/ }) } }),
      ).toThrow(/pattern must be anchored.*\/\[a-z\]\+\//);
      expect(() => createPrivacyPolicy({ spanAttributes: { x: rule.enum([]) } })).toThrow(
        /values must be a non-empty array/,
      );
    });

    it('counts drops per key and never keeps an unsafe key name', () => {
      const { stats } = exportRaw({ 'user jane@example.com': 'x', 'input.value': 'y' });
      expect(stats.droppedByKey).toEqual({ '(unsafe_key)': 1, 'input.value': 1 });
    });
  });
});
