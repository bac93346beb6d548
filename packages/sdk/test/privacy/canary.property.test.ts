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

/** Keys holding numbers: counts, bounds, scores, metadata, and the foreign names mapped onto them. */
const NUMBER_KEYS = [
  C.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  C.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  C.ATTR_GEN_AI_REQUEST_TEMPERATURE,
  C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE,
  C.ATTR_STEP_SEQ,
  C.ATTR_STEP_ATTEMPT,
  C.ATTR_STEP_RETRY_DELAY_MS,
  C.ATTR_STREAM_CHUNKS,
  C.ATTR_PRIVACY_DROPPED,
  C.ATTR_HTTP_RESPONSE_STATUS_CODE,
  'server.port',
  'agenttrace.meta.result_count',
  'agenttrace.meta.ratio',
  'llm.token_count.prompt',
  'gen_ai.usage.cache_write.input_tokens',
  'ai.usage.tokens',
  'ai.response.msToFirstChunk',
];

/** Card numbers that pass the Luhn check, as safe integers (16 digits starting with 4). */
const cardArb = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 })
  .map((d) => {
    const digits = [4, ...d.slice(1)];
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let x = digits[digits.length - 1 - i]!;
      if (i % 2 === 0) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    return Number(`${digits.join('')}${(10 - (sum % 10)) % 10}`);
  });
/** Phone and id numbers: 10 to 13 digits (no epoch second of this century starts with 2 or more). */
const phoneArb = fc.integer({ min: 2_000_000_000, max: 9_999_999_999_999 });

interface PlantedNumber {
  key: string;
  digits: string;
  value: number;
}

/**
 * Keys with tight bounds whose fractions keep every digit (timer noise):
 * a number there is refused by its bounds and its integer part, not by
 * the digits of its fraction. The documented limit of the number rules.
 */
const FRACTION_KEPT = new Set<string>([
  C.ATTR_GEN_AI_REQUEST_TEMPERATURE,
  C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  'ai.response.msToFirstChunk',
]);

const numberArb: fc.Arbitrary<PlantedNumber> = fc
  .tuple(
    fc.constantFrom(...NUMBER_KEYS),
    fc.oneof(phoneArb, cardArb),
    fc.constantFrom('int', 'neg', 'fraction', 'scaled'),
  )
  .filter(([key, , form]) => !(form === 'fraction' && FRACTION_KEPT.has(key)))
  .map(([key, n, form]) => {
    const digits = String(n);
    const value =
      form === 'int'
        ? n
        : form === 'neg'
          ? -n
          : form === 'fraction'
            ? Number(`0.${digits}`)
            : n / 1000;
    return { key, digits: String(value).replace(/\D/g, '').replace(/^0+/, '').slice(0, 9), value };
  })
  // nine digits still there: what a phone, card or id number needs
  .filter((p) => p.digits.length >= 9);

const hex = (s: string) => Buffer.from(s).toString('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64url');

/**
 * Text encoded short enough to pass every other detector (under the 24
 * characters of the long-token rule): only the decoding check can refuse
 * it. `needle` is what must not appear in the output.
 */
const encodedTextArb = (
  tag: string,
): fc.Arbitrary<{ key: string; value: string | number; needle: string }> => {
  const word = tag.slice(4, 8);
  const h8 = hex(`${word} doe`);
  const h10 = hex(`${word} doe x`);
  const b = b64(`${word} smith`);
  return fc.oneof(
    fc
      .constantFrom(C.ATTR_RUN_ID, C.ATTR_RUN_PARENT_ID, C.ATTR_STEP_DUPLICATE_OF)
      .map((key) => ({ key, value: h8, needle: h8 })),
    fc.constant({ key: C.ATTR_RUN_ID, value: `${h10}${'00'.repeat(6)}`, needle: h10 }),
    fc.constantFrom(...ALLOWED_KEYS).map((key) => ({ key, value: b, needle: b })),
    fc.constantFrom(...ALLOWED_KEYS).map((key) => ({ key, value: `x${b}-v2`, needle: b })),
    fc.constantFrom(...ALLOWED_KEYS).map((key) => ({ key, value: `agent_${h10}`, needle: h10 })),
    fc.constant({ key: `agenttrace.meta.x${h10}`, value: 1, needle: h10 }),
  );
};

/** Keys and values a hand-written instrumentation can reach, around the tag itself. */
const encodedArb = (tag: string): fc.Arbitrary<Array<[string, string | number | boolean]>> =>
  fc.array(
    fc.oneof(
      fc.constant<[string, boolean]>([`agenttrace.meta.${tag}_4155550199`, true]),
      fc.constant<[string, number]>([`agenttrace.meta.${tag}@example.com`, 1]),
      fc.constant<[string, string]>([
        'metadata',
        JSON.stringify({ ls_provider: `${tag}@example.com` }),
      ]),
      fc.constant<[string, string]>(['traceloop.entity.name', `${tag}@example.com`]),
      fc.constant<[string, string]>(['traceloop.workflow.name', `${tag} doe`]),
      fc.constant<[string, string]>(['embedding.model_name', `${tag}-415-555-0199`]),
      fc.constant<[string, string]>(['llm.request.model_name', `${tag}-2025-04-14-4155550199`]),
      fc.constant<[string, string]>(['http.route', `/users/${tag}@example.com`]),
      fc.constant<[string, string]>([
        'url.full',
        `https://api.example.com/v1/x/${tag}-4155550199?q=${tag}`,
      ]),
      fc.constant<[string, string]>(['http.target', `/v1/${b64(`${tag} smith`)}#${tag}`]),
      fc.constant<[string, string]>(['db.collection.name', `${tag}_4155550199`]),
      fc.constant<[string, string]>(['db.query.text', `SELECT * FROM t WHERE name = '${tag}'`]),
      fc.constant<[string, string]>(['db.operation.name', `${tag}`]),
    ),
    { minLength: 1, maxLength: 6 },
  );

/** Span names that look like HTTP, database or model names around a canary. */
const nameArb = (tag: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    `POST /v1/users/${tag}@example.com`,
    `GET /v1/chat/completions?user=${tag}`,
    `GET /files/${tag}-4155550199`,
    `POST /s/${b64(`${tag} smith`)}`,
    `SELECT ${tag}_4155550199`,
    `find ${tag}@example.com`,
    `chat ${tag}-2025-04-14-4155550199`,
    `chat x${b64(`${tag} smith`)}`,
    `pg.query:SELECT ${tag} doe`,
    `HTTP POST`,
  );

describe('AllowlistSpanProcessor privacy property: numbers, keys, encodings and names', () => {
  it('lets no planted number, encoded canary, unsafe key or canary name through, across 5000 spans', () => {
    const exporter = new InMemorySpanExporter();
    const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter));
    const provider = new BasicTracerProvider({ spanProcessors: [allowlist] });
    const tracer = provider.getTracer('hand-written');
    let checked = 0;
    fc.assert(
      fc.property(
        tagArb.chain((tag) =>
          fc.record({
            tag: fc.constant(tag),
            numbers: fc.array(numberArb, { minLength: 1, maxLength: 4 }),
            encoded: encodedArb(tag),
            texts: fc.array(encodedTextArb(tag), { minLength: 1, maxLength: 3 }),
            name: nameArb(tag),
            http: fc.boolean(),
          }),
        ),
        (p) => {
          exporter.reset();
          const span = tracer.startSpan(p.name, { kind: SpanKind.CLIENT });
          if (p.http) span.setAttribute('http.request.method', 'POST');
          else span.setAttribute('db.system.name', 'postgresql');
          for (const n of p.numbers) span.setAttribute(n.key, n.value);
          for (const [k, v] of p.encoded) span.setAttribute(k, v);
          for (const t of p.texts) span.setAttribute(t.key, t.value);
          span.addEvent('exception', { [p.numbers[0]!.key]: p.numbers[0]!.value });
          span.end();
          const [out] = exporter.getFinishedSpans();
          const text = serialise(out!);
          expect(text).not.toContain(p.tag);
          for (const n of p.numbers)
            expect([n.key, text]).not.toEqual([n.key, expect.stringContaining(n.digits)]);
          for (const t of p.texts)
            expect([t.key, text]).not.toEqual([t.key, expect.stringContaining(t.needle)]);
          const published = JSON.stringify(allowlist.stats().droppedByKnownKey);
          expect(published).not.toContain(p.tag);
          checked++;
        },
      ),
      { numRuns: 5000 },
    );
    expect(checked).toBe(5000);
  });
});
