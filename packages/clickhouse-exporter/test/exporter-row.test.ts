/**
 * Row mapping against the contrib `otel_traces` table: a span with every
 * field set goes through the exporter into chDB and is read back column by
 * column.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { spanToRow, TRACE_COLUMNS } from '../src/row.js';
import { hrTimeToDateTime64 } from '../src/datetime64.js';
import { attributeValueToString } from '../src/row-values.js';
import { createStore } from '../src/store.js';
import { exportSpans } from './support/spans.js';
import { createTracesDatabase, selectRows, tempDir } from './support/store.js';

const store = createStore({ path: tempDir('row') });
afterAll(() => store.close());

const LINKED = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  traceState: new TraceState('vendor=value'),
};

async function richSpan(): Promise<ReadableSpan> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout-agent',
      'service.version': '1.2.3',
      'host.cpus': 8,
    }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('agenttrace', '0.1.0');
  const start: [number, number] = [1_700_000_000, 123_456_789];
  tracer.startActiveSpan('invoke_agent planner', { startTime: start }, (parent) => {
    const child = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: start,
        links: [{ context: LINKED, attributes: { 'link.reason': 'retry-of' } }],
        attributes: {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 1200,
          'gen_ai.request.temperature': 0.25,
          'gen_ai.request.stream': true,
          'gen_ai.response.finish_reasons': ['stop', 'length'],
          'agenttrace.scores': [1, 2.5],
        },
      },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent('gen_ai.choice', { index: 0, done: false }, [1_700_000_000, 500_000_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate_limited' });
    child.end([1_700_000_002, 123_456_790]);
    parent.end([1_700_000_003, 0]);
  });
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  const span = spans.find((s) => s.name === 'chat gpt-4o');
  if (span === undefined) throw new Error('child span missing');
  return span;
}

describe('ClickHouseSpanExporter', () => {
  describe('row mapping', () => {
    it('stringifies attribute values like the Go exporter', () => {
      expect(attributeValueToString('a')).toBe('a');
      expect(attributeValueToString(42)).toBe('42');
      expect(attributeValueToString(0.25)).toBe('0.25');
      expect(attributeValueToString(1e21)).toBe('1e+21');
      expect(attributeValueToString(true)).toBe('true');
      expect(attributeValueToString(false)).toBe('false');
      expect(attributeValueToString(['a', 'b'])).toBe('["a","b"]');
      expect(attributeValueToString([1, 2.5, null])).toBe('[1,2.5,null]');
      expect(attributeValueToString(undefined)).toBeUndefined();
    });

    it('writes DateTime64(9) text exactly, to the nanosecond', () => {
      expect(hrTimeToDateTime64([1_700_000_000, 5])).toBe('1700000000.000000005');
      expect(hrTimeToDateTime64([1_700_000_000, 123_456_789])).toBe('1700000000.123456789');
      // Ten-digit seconds: shorter ones are misread under best_effort, chDB's default.
      expect(hrTimeToDateTime64([1, 5])).toBe('0000000001.000000005');
      expect(hrTimeToDateTime64([9_223_372_036, 854_775_807])).toBe('9223372036.854775807');
    });

    it('never writes a time DateTime64(9) cannot hold as a time', () => {
      for (const time of [
        [9_223_372_036, 854_775_808],
        [10_000_000_000, 0],
        [-1, 0],
        [Number.NaN, 0],
        [1, 1e9],
      ] as const) {
        expect(hrTimeToDateTime64([time[0], time[1]])).toMatch(/^out of range: /);
      }
    });

    it('maps every contrib column and nothing else', async () => {
      const row = spanToRow(await richSpan());
      expect(Object.keys(row).sort()).toEqual([...TRACE_COLUMNS].sort());
    });

    it('round-trips a span through the contrib otel_traces table', async () => {
      const database = await createTracesDatabase(store.client, 'row');
      const span = await richSpan();
      const exporter = new ClickHouseSpanExporter({ store, database });
      await exportSpans(exporter, [span]);
      await exporter.shutdown();

      const [row] = await selectRows(store.client, database);
      expect(row).toMatchObject({
        Timestamp: '2023-11-14 22:13:20.123456789',
        TraceId: span.spanContext().traceId,
        SpanId: span.spanContext().spanId,
        ParentSpanId: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        TraceState: '',
        SpanName: 'chat gpt-4o',
        SpanKind: 'Client',
        ServiceName: 'checkout-agent',
        ResourceAttributes: {
          'service.name': 'checkout-agent',
          'service.version': '1.2.3',
          'host.cpus': '8',
        },
        ScopeName: 'agenttrace',
        ScopeVersion: '0.1.0',
        SpanAttributes: {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': '1200',
          'gen_ai.request.temperature': '0.25',
          'gen_ai.request.stream': 'true',
          'gen_ai.response.finish_reasons': '["stop","length"]',
          'agenttrace.scores': '[1,2.5]',
        },
        Duration: 2_000_000_001,
        StatusCode: 'Error',
        StatusMessage: 'rate_limited',
        'Events.Timestamp': ['2023-11-14 22:13:20.500000000'],
        'Events.Name': ['gen_ai.choice'],
        'Events.Attributes': [{ index: '0', done: 'false' }],
        'Links.TraceId': [LINKED.traceId],
        'Links.SpanId': [LINKED.spanId],
        'Links.TraceState': ['vendor=value'],
        'Links.Attributes': [{ 'link.reason': 'retry-of' }],
      });
    });
  });
});
