/**
 * Decoder benchmark: the hand-written decoder over protobufjs's minimal
 * Reader (what the collector uses) against protobufjs/light reflection (the
 * OTLP schema built in code, then converted to the same `ReadableSpan`s), on
 * the body the official exporter sends for 512 agent spans. Also times the
 * JSON decoder and the allowlist, to show where an ingest request's CPU goes.
 *
 *   npx tsx collector/bench/decode.ts        (BENCH_DECODE_S per case, default 3)
 *
 * Prints one JSON line: {"bench":"collector-decode", ...}.
 */
import { AllowlistSpanProcessor } from '@agenttrace/sdk';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/light.js';
import { DEFAULT_DECODE_LIMITS, decodeJsonRequest, decodeProtobufRequest } from '../src/index.js';
import { hrTimeFromParts } from '../src/otlp/hr-time.js';
import { createSpan, emptySpanFields } from '../src/otlp/otlp-span.js';
import { makeBenchSpans } from './bench-spans.js';

const SECONDS = Number(process.env.BENCH_DECODE_S ?? 3);
const BATCH = 512;

const kv = { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } };
/** The OTLP trace schema, from the specification, as a protobufjs reflection descriptor. */
const root = protobuf.Root.fromJSON({
  nested: {
    AnyValue: {
      oneofs: {
        value: {
          oneof: [
            'stringValue',
            'boolValue',
            'intValue',
            'doubleValue',
            'arrayValue',
            'kvlistValue',
            'bytesValue',
          ],
        },
      },
      fields: {
        stringValue: { type: 'string', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'ArrayValue', id: 5 },
        kvlistValue: { type: 'KeyValueList', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
    ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
    KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
    KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
    Resource: { fields: { ...kv, droppedAttributesCount: { type: 'uint32', id: 2 } } },
    InstrumentationScope: {
      fields: {
        name: { type: 'string', id: 1 },
        version: { type: 'string', id: 2 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
        droppedAttributesCount: { type: 'uint32', id: 4 },
      },
    },
    Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
    Event: {
      fields: {
        timeUnixNano: { type: 'fixed64', id: 1 },
        name: { type: 'string', id: 2 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
        droppedAttributesCount: { type: 'uint32', id: 4 },
      },
    },
    Link: {
      fields: {
        traceId: { type: 'bytes', id: 1 },
        spanId: { type: 'bytes', id: 2 },
        traceState: { type: 'string', id: 3 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 4 },
        droppedAttributesCount: { type: 'uint32', id: 5 },
        flags: { type: 'fixed32', id: 6 },
      },
    },
    Span: {
      fields: {
        traceId: { type: 'bytes', id: 1 },
        spanId: { type: 'bytes', id: 2 },
        traceState: { type: 'string', id: 3 },
        parentSpanId: { type: 'bytes', id: 4 },
        name: { type: 'string', id: 5 },
        kind: { type: 'int32', id: 6 },
        startTimeUnixNano: { type: 'fixed64', id: 7 },
        endTimeUnixNano: { type: 'fixed64', id: 8 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
        droppedAttributesCount: { type: 'uint32', id: 10 },
        events: { rule: 'repeated', type: 'Event', id: 11 },
        droppedEventsCount: { type: 'uint32', id: 12 },
        links: { rule: 'repeated', type: 'Link', id: 13 },
        droppedLinksCount: { type: 'uint32', id: 14 },
        status: { type: 'Status', id: 15 },
        flags: { type: 'fixed32', id: 16 },
      },
    },
    ScopeSpans: {
      fields: {
        scope: { type: 'InstrumentationScope', id: 1 },
        spans: { rule: 'repeated', type: 'Span', id: 2 },
        schemaUrl: { type: 'string', id: 3 },
      },
    },
    ResourceSpans: {
      fields: {
        resource: { type: 'Resource', id: 1 },
        scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
        schemaUrl: { type: 'string', id: 3 },
      },
    },
    ExportTraceServiceRequest: {
      fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
    },
  },
});
const Request = root.lookupType('ExportTraceServiceRequest');

interface LongLike {
  low: number;
  high: number;
}
interface PbKeyValue {
  key: string;
  value?: {
    stringValue?: string;
    boolValue?: boolean;
    intValue?: LongLike | number;
    doubleValue?: number;
  };
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: LongLike;
  endTimeUnixNano: LongLike;
  attributes: PbKeyValue[];
  events: { timeUnixNano: LongLike; name: string; attributes: PbKeyValue[] }[];
  status?: { code: number; message: string };
  flags: number;
}
interface PbRequest {
  resourceSpans: {
    resource?: { attributes: PbKeyValue[] };
    scopeSpans: { scope?: { name: string; version: string }; spans: PbSpan[] }[];
  }[];
}

const hex = (b: Uint8Array | undefined) =>
  b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '';
const time = (l: LongLike) => hrTimeFromParts(l.low >>> 0, l.high >>> 0);
function attrs(list: PbKeyValue[]): Attributes {
  const out: Attributes = {};
  for (const { key, value: v } of list) {
    let a: AttributeValue | undefined;
    if (v?.stringValue !== undefined) a = v.stringValue;
    else if (v?.boolValue !== undefined) a = v.boolValue;
    else if (v?.intValue !== undefined)
      a =
        typeof v.intValue === 'number'
          ? v.intValue
          : v.intValue.high * 4294967296 + (v.intValue.low >>> 0);
    else if (v?.doubleValue !== undefined) a = v.doubleValue;
    out[key] = a;
  }
  return out;
}

/** Reflection decode, then the same conversion into ReadableSpans (scalar attributes only: a lower bound). */
function decodeReflection(buf: Uint8Array): ReadableSpan[] {
  const msg = Request.decode(buf) as unknown as PbRequest;
  const out: ReadableSpan[] = [];
  for (const rs of msg.resourceSpans) {
    const resource = resourceFromAttributes(attrs(rs.resource?.attributes ?? []));
    for (const ss of rs.scopeSpans) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version };
      for (const s of ss.spans) {
        const f = emptySpanFields();
        f.traceId = hex(s.traceId);
        f.spanId = hex(s.spanId);
        f.parentSpanId = hex(s.parentSpanId);
        f.name = s.name;
        f.kind = s.kind;
        f.startTime = time(s.startTimeUnixNano);
        f.endTime = time(s.endTimeUnixNano);
        f.attributes = attrs(s.attributes);
        f.events = s.events.map((e) => ({
          time: time(e.timeUnixNano),
          name: e.name,
          attributes: attrs(e.attributes),
        }));
        f.statusCode = s.status?.code ?? 0;
        f.statusMessage = s.status?.message ?? '';
        f.flags = s.flags;
        out.push(createSpan(f, resource, scope));
      }
    }
  }
  return out;
}

function measure(run: () => number): {
  opsPerSecond: number;
  spansPerSecond: number;
  usPerSpan: number;
} {
  const until = performance.now() + SECONDS * 1000;
  for (let i = 0; i < 50; i++) run();
  const start = performance.now();
  let ops = 0;
  let spans = 0;
  while (performance.now() < until) {
    spans += run();
    ops++;
  }
  const s = (performance.now() - start) / 1000;
  return {
    opsPerSecond: Math.round(ops / s),
    spansPerSecond: Math.round(spans / s),
    usPerSpan: Number(((s * 1e6) / spans).toFixed(3)),
  };
}

const spans = makeBenchSpans(BATCH);
const pb = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
const json = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
const sink: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const allowlist = new AllowlistSpanProcessor(sink);
const decoded = decodeProtobufRequest(pb, DEFAULT_DECODE_LIMITS).spans;
if (decodeReflection(pb).length !== BATCH || decoded.length !== BATCH)
  throw new Error('decoders disagree');

const result = {
  bench: 'collector-decode',
  batchSpans: BATCH,
  protobufBytes: pb.length,
  jsonBytes: json.length,
  handDecoder: measure(() => decodeProtobufRequest(pb, DEFAULT_DECODE_LIMITS).spans.length),
  reflectionDecoder: measure(() => decodeReflection(pb).length),
  jsonDecoder: measure(() => decodeJsonRequest(json, DEFAULT_DECODE_LIMITS).spans.length),
  allowlist: measure(() => {
    for (const s of decoded) allowlist.onEnd(s);
    return decoded.length;
  }),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
