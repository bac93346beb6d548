/**
 * Plants canary strings (prompts, responses, documents, personal data and
 * secrets) in every field a span has, across 10,000 generated spans, and
 * proves none of them reaches the exporter.
 */
import { SpanKind, SpanStatusCode, type AttributeValue, type Link } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowlistSpanProcessor, conventions as C } from '../../src/index.js';

const SPANS = 10_000;

/** Keys the default policy allows, so canaries are tried where a leak would matter most. */
const ALLOWED_KEYS = [
  C.ATTR_GEN_AI_REQUEST_MODEL,
  C.ATTR_GEN_AI_AGENT_NAME,
  C.ATTR_GEN_AI_TOOL_NAME,
  C.ATTR_STEP_NAME,
  C.ATTR_VARIANT,
  C.ATTR_FAILURE_CODE,
  C.ATTR_ERROR_TYPE,
  C.ATTR_RUN_ID,
  C.ATTR_GEN_AI_OPERATION_NAME,
  C.ATTR_GEN_AI_PROVIDER_NAME,
  C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  C.ATTR_PROMPT_TEMPLATE,
  'server.address',
  'agenttrace.meta.note',
];
/** Keys where other instrumentations put content. */
const CONTENT_KEYS = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.prompt.0.content',
  'gen_ai.completion.0.content',
  'gen_ai.system_instructions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'input.value',
  'output.value',
  'llm.input_messages.0.message.content',
  'llm.output_messages.0.message.content',
  'retrieval.documents.0.document.content',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.response.text',
  'ai.response.object',
  'exception.message',
  'exception.stacktrace',
  'user.email',
  'enduser.id',
  'http.url',
  'db.statement',
  'traceloop.entity.input',
];

/** Canary shapes: each embeds a unique tag, so finding the tag anywhere in the output is a leak. */
const canary = (tag: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(`Please summarise the contract for ${tag} and keep it secret`),
    fc.constant(`${tag}@example.com`),
    fc.constant(`${tag}.doe@mail.example.org`),
    fc.constant(`sk-${tag}${tag}`),
    fc.constant(`sk-proj-${tag}`),
    fc.constant(`xai-${tag}${tag}`),
    fc.constant(`eyJ${tag}.eyJ${tag}.sig`),
    fc.constant(`Bearer ${tag}`),
    fc.constant(`4111-1111-1111-1111-${tag}`),
    fc.constant(`${tag}-415-555-0199`),
    fc.constant(`10.1.2.3-${tag}`),
    fc.constant(`${tag} ${tag}`),
    fc.constant(`${tag}\n${tag}`),
    fc.constant(`password=${tag}`),
    fc.constant(`${tag}${'A1'.repeat(20)}`),
    fc.constant(`"${tag}"`),
    fc.constant(`${tag}`.padEnd(200, 'x')),
  );

/** Tags are random and can't be mistaken for anything the pipeline writes itself. */
const tagArb = fc.stringMatching(/^[a-z]{4}[0-9]{4}zq$/).map((s) => `cnry${s}`);

interface Planted {
  tag: string;
  spanName: string;
  allowedAttrs: Array<[string, string]>;
  contentAttrs: Array<[string, AttributeValue]>;
  arrayAttr: string[];
  eventName: string;
  eventAttrs: Array<[string, string]>;
  linkAttrs: Array<[string, string]>;
  statusMessage: string;
  keyCanary: string;
  traceState: string;
}

const plantedArb: fc.Arbitrary<Planted> = tagArb.chain((tag) => {
  const c = canary(tag);
  return fc.record({
    tag: fc.constant(tag),
    spanName: c,
    allowedAttrs: fc.array(fc.tuple(fc.constantFrom(...ALLOWED_KEYS), c), {
      minLength: 1,
      maxLength: 6,
    }),
    contentAttrs: fc.array(
      fc.tuple(
        fc.constantFrom(...CONTENT_KEYS),
        fc.oneof(c, fc.array(c, { minLength: 1, maxLength: 3 })),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    arrayAttr: fc.array(c, { minLength: 1, maxLength: 4 }),
    eventName: c,
    eventAttrs: fc.array(fc.tuple(fc.constantFrom(...ALLOWED_KEYS, ...CONTENT_KEYS), c), {
      maxLength: 4,
    }),
    linkAttrs: fc.array(fc.tuple(fc.constantFrom(...ALLOWED_KEYS, ...CONTENT_KEYS), c), {
      maxLength: 4,
    }),
    statusMessage: c,
    keyCanary: fc.constant(`user.${tag}`),
    traceState: fc.constant(`vendor=${tag}`),
  });
});

/** Everything a stored span could carry, as one string. */
function serialise(span: ReadableSpan): string {
  const ctx = span.spanContext();
  return JSON.stringify({
    name: span.name,
    ctx: { ...ctx, traceState: ctx.traceState?.serialize() },
    parent: span.parentSpanContext,
    status: span.status,
    attributes: span.attributes,
    events: span.events,
    links: span.links.map((l) => ({
      ...l,
      context: { ...l.context, traceState: l.context.traceState?.serialize() },
    })),
    resource: span.resource.attributes,
    scope: span.instrumentationScope,
  });
}

function traceStateOf(value: string) {
  return {
    get: () => value,
    set() {
      return this;
    },
    unset() {
      return this;
    },
    serialize: () => value,
  };
}

describe('AllowlistSpanProcessor privacy property', () => {
  it(`lets no canary through from any field, across ${SPANS} generated spans`, () => {
    const exporter = new InMemorySpanExporter();
    let checked = 0;
    fc.assert(
      fc.property(plantedArb, (p) => {
        exporter.reset();
        const provider = new BasicTracerProvider({
          resource: resourceFromAttributes({
            'service.name': 'svc',
            'user.name': p.tag,
            'service.instance.id': `${p.tag}@host.example.com`,
          }),
          spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
        });
        const tracer = provider.getTracer(p.spanName, `${p.tag} 1.0`, {
          schemaUrl: `https://example.com/${p.tag}`,
        });
        const link: Link = {
          context: {
            traceId: 'ab'.repeat(16),
            spanId: 'cd'.repeat(8),
            traceFlags: 1,
            traceState: traceStateOf(p.traceState),
          },
          attributes: Object.fromEntries(p.linkAttrs),
        };
        const span = tracer.startSpan(p.spanName, { kind: SpanKind.CLIENT, links: [link] });
        for (const [k, v] of p.allowedAttrs) span.setAttribute(k, v);
        for (const [k, v] of p.contentAttrs) span.setAttribute(k, v);
        span.setAttribute(C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, p.arrayAttr);
        span.setAttribute(p.keyCanary, 1);
        span.addEvent(p.eventName, Object.fromEntries(p.eventAttrs));
        span.recordException(Object.assign(new Error(p.statusMessage), { stack: p.statusMessage }));
        span.setStatus({ code: SpanStatusCode.ERROR, message: p.statusMessage });
        span.end();

        const [out] = exporter.getFinishedSpans();
        expect(out).toBeDefined();
        const text = serialise(out!);
        expect(text).not.toContain(p.tag);
        expect(out!.attributes[C.ATTR_PRIVACY_DROPPED]).toBeGreaterThan(0);
        checked++;
      }),
      { numRuns: SPANS },
    );
    expect(checked).toBe(SPANS);
  });

  it('the serialiser itself sees every field: an unfiltered span shows its canaries', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'user.name': 'cnryresource' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const span = provider.getTracer('cnryscope').startSpan('cnryname', {
      links: [
        {
          context: {
            traceId: 'ab'.repeat(16),
            spanId: 'cd'.repeat(8),
            traceFlags: 1,
            traceState: traceStateOf('cnrystate'),
          },
          attributes: { k: 'cnrylink' },
        },
      ],
    });
    span.setAttribute('k', 'cnryattr');
    span.addEvent('cnryevent', { k: 'cnryeventattr' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'cnrystatus' });
    span.end();
    const text = serialise(exporter.getFinishedSpans()[0]!);
    for (const tag of [
      'resource',
      'scope',
      'name',
      'state',
      'link',
      'attr',
      'event',
      'eventattr',
      'status',
    ])
      expect(text).toContain(`cnry${tag}`);
  });
});
