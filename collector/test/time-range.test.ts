/**
 * Times at and past both ends of what the store's `DateTime64(9)` columns
 * hold, in span starts and ends, event times and spans with links, through a
 * real collector on port 0 writing into the embedded engine. A span out of
 * range is rejected in `partialSuccess` with the field and the value; every
 * other span of the request is stored.
 *
 * The column holds Int64 nanoseconds (to 2262-04-11T23:47:16.854775807Z) and
 * starts in 1900; OTLP times are unsigned, so the lowest end a client can
 * reach is 0 (a span's start must be positive; an event at 0 takes the
 * span's start) and "past" it is a negative number, which OTLP/JSON can
 * spell and protobuf cannot. OTLP links carry no time of their own.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { createCollector, type Collector } from '../src/index.js';
import { hexId, post, readPartialSuccess } from './helpers.js';

const MAX = 9_223_372_036_854_775_807n;
const U64_MAX = 18_446_744_073_709_551_615n;
const NOW = 1_700_000_000_000_000_000n;

let store: Store;
let exporter: ClickHouseSpanExporter;
let collector: Collector;
let url = '';

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-time-range-')) });
  await migrate(store.client, { database: store.database });
  exporter = new ClickHouseSpanExporter({ store });
  collector = createCollector({ exporter, exportDelayMs: 0 });
  const address = await collector.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await collector.close();
  await store.close();
});

const TRACE = hexId(16);

interface JsonSpan {
  spanId: string;
  start: string | number;
  end: string | number;
  events?: (string | number)[];
  links?: boolean;
}

function jsonSpan(s: JsonSpan): Record<string, unknown> {
  return {
    traceId: TRACE,
    spanId: s.spanId,
    name: 'time range',
    kind: 1,
    startTimeUnixNano: s.start,
    endTimeUnixNano: s.end,
    events: (s.events ?? []).map((t) => ({ timeUnixNano: t, name: 'e' })),
    links: s.links
      ? [
          {
            traceId: hexId(16),
            spanId: hexId(8),
            // Time-like values in a link are attributes, not times: stored as text.
            attributes: [{ key: 'at', value: { intValue: U64_MAX.toString() } }],
          },
        ]
      : [],
  };
}

function jsonRequest(spans: JsonSpan[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'time-range' } }] },
        scopeSpans: [{ scope: { name: 't' }, spans: spans.map(jsonSpan) }],
      },
    ],
  });
}

function fixed64(w: protobuf.Writer, tag: number, ns: bigint): void {
  w.uint32(tag)
    .fixed32(Number(ns & 0xffffffffn))
    .fixed32(Number(ns >> 32n));
}

/** A protobuf request, one span per entry: `[spanId, start, end, eventTimes]`. */
function protoRequest(spans: [string, bigint, bigint, bigint[]][]): Uint8Array {
  const scope = protobuf.Writer.create();
  for (const [spanId, start, end, events] of spans) {
    const s = protobuf.Writer.create();
    s.uint32(10).bytes(Buffer.from(TRACE, 'hex'));
    s.uint32(18).bytes(Buffer.from(spanId, 'hex'));
    s.uint32(42).string('time range');
    fixed64(s, 57, start);
    fixed64(s, 65, end);
    for (const t of events) {
      const e = protobuf.Writer.create();
      fixed64(e, 9, t);
      e.uint32(18).string('e');
      s.uint32(90).bytes(e.finish());
    }
    scope.uint32(18).bytes(s.finish());
  }
  const rs = protobuf.Writer.create().uint32(18).bytes(scope.finish()).finish();
  return protobuf.Writer.create().uint32(10).bytes(rs).finish();
}

async function postJson(spans: JsonSpan[]) {
  const res = await post(url, jsonRequest(spans), 'application/json');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Flushes the collector and the exporter, then reads what the store holds for `ids`. */
async function stored(ids: string[]): Promise<Map<string, { ts: string; events: string[] }>> {
  await collector.forceFlush();
  await exporter.forceFlush();
  const result = await store.client.query({
    query: `SELECT SpanId, toString(toUnixTimestamp64Nano(Timestamp)) AS ts,
              arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS events
            FROM otel_traces WHERE SpanId IN {ids:Array(String)}`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ SpanId: string; ts: string; events: string[] }>();
  return new Map(rows.map((r) => [r.SpanId, { ts: r.ts, events: r.events }]));
}

const PATH = 'resourceSpans[0].scopeSpans[0].spans';

describe('collector: times and the DateTime64(9) range', () => {
  it.each([
    [
      'a start past the last time',
      { start: (MAX + 1n).toString(), end: (MAX + 1n).toString() },
      `startTimeUnixNano: must be at most ${MAX} (2262-04-11T23:47:16.854775807Z`,
      `(got ${MAX + 1n})`,
    ],
    [
      'a start at the largest uint64',
      { start: U64_MAX.toString(), end: U64_MAX.toString() },
      'startTimeUnixNano: must be at most',
      `(got ${U64_MAX})`,
    ],
    [
      'an end past the last time',
      { start: NOW.toString(), end: (MAX + 1n).toString() },
      'endTimeUnixNano: must be at most',
      `(got ${MAX + 1n})`,
    ],
    [
      'an event past the last time',
      {
        start: NOW.toString(),
        end: NOW.toString(),
        events: [NOW.toString(), (MAX + 1n).toString()],
      },
      'events[1].timeUnixNano: must be at most',
      `(got ${MAX + 1n})`,
    ],
    [
      'a start of zero',
      { start: '0', end: '5' },
      'startTimeUnixNano: is required and must be positive',
      '',
    ],
    [
      'a negative start (before the epoch)',
      { start: '-1', end: '5' },
      'startTimeUnixNano: must be unsigned 64-bit nanoseconds',
      '(got "-1")',
    ],
    [
      'a negative event time',
      { start: NOW.toString(), end: NOW.toString(), events: [-1] },
      'events[0].timeUnixNano: must be unsigned 64-bit nanoseconds',
      '(got -1)',
    ],
    [
      'an end before the start (Duration is UInt64)',
      { start: (NOW + 1n).toString(), end: NOW.toString() },
      'endTimeUnixNano: must not be before the start',
      `(got ${NOW}, start ${NOW + 1n})`,
    ],
    [
      'a span with a link and a start past the last time',
      { start: (MAX + 1n).toString(), end: (MAX + 1n).toString(), links: true },
      'startTimeUnixNano: must be at most',
      `(got ${MAX + 1n})`,
    ],
  ])('rejects %s and stores the rest of the request', async (_name, bad, field, value) => {
    const before = hexId(8);
    const poison = hexId(8);
    const after = hexId(8);
    const res = await postJson([
      { spanId: before, start: NOW.toString(), end: (NOW + 1000n).toString() },
      { spanId: poison, ...bad },
      { spanId: after, start: NOW.toString(), end: NOW.toString(), links: true },
    ]);
    expect(res.status).toBe(200);
    const partial = res.body.partialSuccess as { rejectedSpans: number; errorMessage: string };
    expect(partial.rejectedSpans).toBe(1);
    expect(partial.errorMessage).toContain(`${PATH}[1].${field}`);
    expect(partial.errorMessage).toContain(value);
    const rows = await stored([before, poison, after]);
    expect([...rows.keys()].sort()).toEqual([before, after].sort());
  });

  it('stores the times at both ends exactly: 1 ns after the epoch and the last DateTime64(9)', async () => {
    const first = hexId(8);
    const last = hexId(8);
    const eventAtZero = hexId(8);
    const res = await postJson([
      { spanId: first, start: '1', end: '2', events: ['1', '2'] },
      {
        spanId: last,
        start: MAX.toString(),
        end: MAX.toString(),
        events: [MAX.toString()],
        links: true,
      },
      // An event at 0 takes the span's start, as OTel JS does.
      { spanId: eventAtZero, start: NOW.toString(), end: NOW.toString(), events: ['0'] },
    ]);
    expect(res).toEqual({ status: 200, body: {} });
    const rows = await stored([first, last, eventAtZero]);
    expect(rows.get(first)).toEqual({ ts: '1', events: ['1', '2'] });
    expect(rows.get(last)).toEqual({ ts: MAX.toString(), events: [MAX.toString()] });
    expect(rows.get(eventAtZero)).toEqual({ ts: NOW.toString(), events: [NOW.toString()] });
  });

  it('counts every bad span of one request and names the first', async () => {
    const good = [hexId(8), hexId(8)];
    const res = await postJson([
      { spanId: hexId(8), start: (MAX + 1n).toString(), end: (MAX + 1n).toString() },
      { spanId: good[0] ?? '', start: NOW.toString(), end: NOW.toString() },
      {
        spanId: hexId(8),
        start: NOW.toString(),
        end: NOW.toString(),
        events: [U64_MAX.toString()],
      },
      { spanId: good[1] ?? '', start: MAX.toString(), end: MAX.toString() },
    ]);
    const partial = res.body.partialSuccess as { rejectedSpans: number; errorMessage: string };
    expect(partial.rejectedSpans).toBe(2);
    expect(partial.errorMessage).toContain(`${PATH}[0].startTimeUnixNano`);
    expect([...(await stored(good)).keys()].sort()).toEqual([...good].sort());
  });

  it('checks protobuf times the same way, to the largest fixed64', async () => {
    const good = hexId(8);
    const atMax = hexId(8);
    const res = await post(
      url,
      protoRequest([
        [hexId(8), U64_MAX, U64_MAX, []],
        [good, NOW, NOW, [NOW]],
        [hexId(8), NOW, NOW, [NOW, MAX + 1n]],
        [atMax, MAX, MAX, [MAX]],
        [hexId(8), NOW, MAX + 1n, []],
      ]),
      'application/x-protobuf',
    );
    expect(res.status).toBe(200);
    const partial = readPartialSuccess(new Uint8Array(await res.arrayBuffer()));
    expect(partial.rejectedSpans).toBe(3);
    expect(partial.errorMessage).toContain(`${PATH}[0].startTimeUnixNano: must be at most`);
    expect(partial.errorMessage).toContain(`(got ${U64_MAX})`);
    const rows = await stored([good, atMax]);
    expect(rows.get(good)).toEqual({ ts: NOW.toString(), events: [NOW.toString()] });
    expect(rows.get(atMax)).toEqual({ ts: MAX.toString(), events: [MAX.toString()] });
  });
});
