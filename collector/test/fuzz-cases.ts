/**
 * Generators of malformed and hostile OTLP bodies for the fuzz test, seeded
 * so every run sends the same ones: truncated and random protobuf, wrong JSON
 * types, huge strings, deep nesting, invalid ids, wrong content types and
 * encodings, bad gzip, gzip bombs, oversized bodies.
 */
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';

const SEED = 20_261_125;

/** One body to send and how. */
export interface Case {
  readonly kind: string;
  readonly body: string | Uint8Array;
  readonly contentType: string;
  readonly headers?: Record<string, string>;
  /** Random bytes may happen to be a well-formed request with no spans: 200 is then correct. */
  readonly mayBeEmptyRequest?: boolean;
}

/** `n` finished spans named `${prefix}_${i}`, with content the allowlist must drop. */
export function makeSpans(n: number, prefix: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('fuzz');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`${prefix}_${i}`, {
      attributes: {
        'gen_ai.usage.input_tokens': i,
        'gen_ai.request.model': 'gpt-4o',
        'input.value': 'secret',
      },
    });
    span.addEvent('exception', { 'exception.type': 'E' });
    span.end();
  }
  return memory.getFinishedSpans();
}

const oneSpan = makeSpans(1, 'one');
const protoBody = ProtobufTraceSerializer.serializeRequest(oneSpan) as Uint8Array;
const jsonText = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(oneSpan));

function jsonWith(mutate: (span: Record<string, unknown>, root: object) => void): string {
  const root = JSON.parse(jsonText) as {
    resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
  };
  const span = root.resourceSpans[0]?.scopeSpans[0]?.spans[0] ?? {};
  mutate(span, root);
  return JSON.stringify(root);
}

/** A protobuf request with one span built field by field (ids and values under our control). */
function protoSpan(write: (w: protobuf.Writer) => void): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(10).fork(); // resourceSpans
  w.uint32(18).fork(); // scopeSpans
  w.uint32(18).fork(); // span
  write(w);
  return w.ldelim().ldelim().ldelim().finish();
}

function nestedAnyValue(depth: number): protobuf.Writer {
  const w = protobuf.Writer.create();
  const open = (d: number) => {
    if (d === 0) {
      w.uint32(10).string('leaf');
      return;
    }
    w.uint32(42).fork().uint32(10).fork(); // arrayValue { values { ... } }
    open(d - 1);
    w.ldelim().ldelim();
  };
  open(depth);
  return w;
}

/** Per span field, values of the wrong type or out of range. */
const WRONG: Record<string, unknown[]> = {
  traceId: [5, true, {}, [], 'x', '', 'abc'],
  spanId: [5, true, {}, [], 'x', '', 'abc'],
  name: [5, true, {}, [], [1]],
  startTimeUnixNano: [-1, 1.5, true, 'x', {}, [], '-5', '1e9'],
  attributes: [5, 'x', {}, true, [1], [{}], [{ key: 5 }], [null]],
  events: [5, 'x', {}, true, [1], [{ name: 5 }], [{ timeUnixNano: 'x' }]],
  links: [5, 'x', {}, true, [1], [{}], [{ traceId: 5 }]],
  status: [5, 'x', [], true, { code: 9 }, { code: 'BAD' }, { message: 5 }, { code: -1 }],
  kind: [-1, 1.5, 9, true, 'x', {}, [], 'SPAN_KIND_BOGUS'],
};
const WRONG_PAIRS = Object.entries(WRONG).flatMap(([field, values]) =>
  values.map((v) => [field, v] as const),
);

const cases = {
  truncated: fc.integer({ min: 1, max: protoBody.length - 1 }).map((cut): Case => ({
    kind: 'truncated protobuf',
    body: protoBody.slice(0, cut),
    contentType: 'application/x-protobuf',
  })),
  random: fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((body): Case => ({
    kind: 'random bytes',
    body,
    contentType: 'application/x-protobuf',
    mayBeEmptyRequest: true,
  })),
  randomJson: fc
    .string({ maxLength: 256 })
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((body): Case => ({ kind: 'random text as JSON', body, contentType: 'application/json' })),
  wrongJsonType: fc.constantFrom(...WRONG_PAIRS).map(([field, v]): Case => ({
    kind: 'wrong JSON type',
    body: jsonWith((span) => (span[field] = v)),
    contentType: 'application/json',
  })),
  wrongJsonValue: fc
    .constantFrom<[string, unknown]>(
      ['intValue', '1.5'],
      ['intValue', 'abc'],
      ['boolValue', 'true'],
      ['doubleValue', 'x'],
      ['stringValue', 5],
      ['arrayValue', []],
      ['kvlistValue', 'x'],
    )
    .map(([k, v]): Case => ({
      kind: 'wrong JSON value type',
      body: jsonWith((span) => (span.attributes = [{ key: 'k', value: { [k]: v } }])),
      contentType: 'application/json',
    })),
  badIds: fc
    .tuple(
      fc.constantFrom('traceId', 'spanId', 'parentSpanId'),
      fc.constantFrom(
        '',
        'zz',
        'abc',
        '0'.repeat(32),
        '0'.repeat(16),
        'f'.repeat(30),
        'g'.repeat(32),
      ),
    )
    .filter(([f, v]) => !(f === 'parentSpanId' && v === ''))
    .map(([f, v]): Case => ({
      kind: 'invalid JSON id',
      body: jsonWith((span) => (span[f] = v)),
      contentType: 'application/json',
    })),
  badProtoIds: fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 20 }))
    .filter(([t, s]) => t !== 16 || s !== 8)
    .map(([t, s]): Case => ({
      kind: 'invalid protobuf id',
      body: protoSpan((w) => {
        w.uint32(10).bytes(new Uint8Array(t).fill(1));
        w.uint32(18).bytes(new Uint8Array(s).fill(2));
        w.uint32(57).fixed64(1).uint32(65).fixed64(2);
      }),
      contentType: 'application/x-protobuf',
    })),
  hugeString: fc.integer({ min: 9_000, max: 200_000 }).map((n): Case => ({
    kind: 'huge string',
    body: jsonWith((span) => (span.name = 'a'.repeat(n))),
    contentType: 'application/json',
  })),
  deepJson: fc.integer({ min: 9, max: 400 }).map((d): Case => {
    let value: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < d; i++) value = { arrayValue: { values: [value] } };
    return {
      kind: 'deep JSON value',
      body: jsonWith((span) => (span.attributes = [{ key: 'k', value }])),
      contentType: 'application/json',
    };
  }),
  deepProto: fc.integer({ min: 9, max: 400 }).map((d): Case => ({
    kind: 'deep protobuf value',
    body: protoSpan((w) => {
      w.uint32(10).bytes(new Uint8Array(16).fill(1)).uint32(18).bytes(new Uint8Array(8).fill(2));
      w.uint32(57).fixed64(1).uint32(65).fixed64(2);
      const kv = protobuf.Writer.create()
        .uint32(10)
        .string('k')
        .uint32(18)
        .bytes(nestedAnyValue(d).finish())
        .finish();
      w.uint32(74).bytes(kv);
    }),
    contentType: 'application/x-protobuf',
  })),
  deepJsonText: fc.integer({ min: 1_000, max: 200_000 }).map((d): Case => ({
    kind: 'deeply nested JSON text',
    body: `{"resourceSpans":${'['.repeat(d)}${']'.repeat(d)}}`,
    contentType: 'application/json',
  })),
  wrongWire: fc
    .integer({ min: 0, max: 5 })
    .filter((w) => w !== 2)
    .map((wire): Case => ({
      kind: 'wrong wire type',
      body: Uint8Array.from([(1 << 3) | wire, 1, 1, 1, 1, 1, 1, 1, 1]),
      contentType: 'application/x-protobuf',
    })),
  contentType: fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        '',
        'application/x-protobufx',
        'application/jsonl',
        'multipart/form-data',
      ),
      fc.boolean(),
    )
    .map(([ct, proto]): Case => ({
      kind: 'wrong content type',
      body: proto ? protoBody : jsonText,
      contentType: ct,
    })),
  badGzip: fc.uint8Array({ minLength: 0, maxLength: 512 }).map((body): Case => ({
    kind: 'bad gzip',
    body,
    contentType: 'application/x-protobuf',
    headers: { 'content-encoding': 'gzip' },
  })),
  badEncoding: fc.constantFrom('br', 'deflate', 'zstd', 'x-gzip').map((enc): Case => ({
    kind: 'unsupported encoding',
    body: protoBody,
    contentType: 'application/x-protobuf',
    headers: { 'content-encoding': enc },
  })),
  notObject: fc
    .constantFrom('null', '[]', '"x"', '5', 'true', '{"resourceSpans":5}', '{"resourceSpans":[5]}')
    .map((body): Case => ({
      kind: 'JSON not a request',
      body,
      contentType: 'application/json',
    })),
};

const gzipBomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
const tooLarge = new Uint8Array(2 * 1024 * 1024 + 1);

/** Every case, in a fixed order (over 10,000). */
export function allCases(): Case[] {
  const out: Case[] = [];
  const counts: [fc.Arbitrary<Case>, number][] = [
    [cases.truncated, 2000],
    [cases.random, 3000],
    [cases.randomJson, 800],
    [cases.wrongJsonType, 1000],
    [cases.wrongJsonValue, 300],
    [cases.badIds, 500],
    [cases.badProtoIds, 500],
    [cases.hugeString, 100],
    [cases.deepJson, 300],
    [cases.deepProto, 300],
    [cases.deepJsonText, 50],
    [cases.wrongWire, 100],
    [cases.contentType, 400],
    [cases.badGzip, 500],
    [cases.badEncoding, 100],
    [cases.notObject, 100],
  ];
  counts.forEach(([arb, n], i) => out.push(...fc.sample(arb, { seed: SEED + i, numRuns: n })));
  for (let i = 0; i < 10; i++) {
    out.push({
      kind: 'gzip bomb',
      body: gzipBomb,
      contentType: 'application/x-protobuf',
      headers: { 'content-encoding': 'gzip' },
    });
    out.push({ kind: 'body too large', body: tooLarge, contentType: 'application/x-protobuf' });
  }
  return out;
}
