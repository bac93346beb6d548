/**
 * The tail spool's span lines: a span decoded from its line is the span that
 * was written (ids, parent, times, status, attributes with non-finite numbers,
 * events, links with trace state, resource, scope, dropped counts).
 */
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeLine, decodeSpans, encodeLine, encodeSpan } from '../src/tail-span-codec.js';
import type { EncodedSpan } from '../src/tail-span-codec.js';

const traceId = 'ab'.repeat(16);

const span: ReadableSpan = {
  name: 'execute_tool lookup',
  kind: 2,
  spanContext: () => ({
    traceId,
    spanId: 'cd'.repeat(8),
    traceFlags: 1,
    traceState: new TraceState('vendor=1'),
  }),
  parentSpanContext: { traceId, spanId: 'ef'.repeat(8), traceFlags: 1, isRemote: true },
  startTime: [1_700_000_000, 5],
  endTime: [1_700_000_001, 7],
  duration: [1, 2],
  status: { code: 2, message: 'tool failed' },
  attributes: { 'gen_ai.usage.input_tokens': 12, ratio: Number.NaN, big: Infinity, tags: ['a'] },
  links: [
    {
      context: {
        traceId: '12'.repeat(16),
        spanId: '34'.repeat(8),
        traceFlags: 0,
        traceState: new TraceState('x=y'),
      },
      attributes: { why: 'retry' },
    },
  ],
  events: [{ name: 'exception', time: [1_700_000_000, 9], attributes: { 'exception.type': 'E' } }],
  resource: resourceFromAttributes({ 'service.name': 'agent' }),
  instrumentationScope: { name: 'scope', version: '1.0.0' },
  ended: true,
  droppedAttributesCount: 1,
  droppedEventsCount: 2,
  droppedLinksCount: 3,
};

describe('tail-span-codec', () => {
  it('decodes a span line to the span that was written', () => {
    const line = encodeLine({ s: [encodeSpan(span)] });
    const [back] = decodeSpans((decodeLine(line) as { s: EncodedSpan[] }).s);
    expect(back).toBeDefined();
    const b = back as ReadableSpan;
    expect(b.spanContext().traceId).toBe(traceId);
    expect(b.spanContext().spanId).toBe('cd'.repeat(8));
    expect(b.spanContext().traceFlags).toBe(1);
    expect(b.spanContext().traceState?.serialize()).toBe('vendor=1');
    expect(b.parentSpanContext).toEqual(span.parentSpanContext);
    expect([b.name, b.kind, b.startTime, b.endTime, b.duration]).toEqual([
      span.name,
      span.kind,
      span.startTime,
      span.endTime,
      span.duration,
    ]);
    expect(b.status).toEqual(span.status);
    expect(b.attributes.ratio).toBeNaN();
    expect(b.attributes.big).toBe(Infinity);
    expect(b.attributes['gen_ai.usage.input_tokens']).toBe(12);
    expect(b.attributes.tags).toEqual(['a']);
    expect(b.events).toEqual(span.events);
    expect(b.links[0]?.context.traceState?.serialize()).toBe('x=y');
    expect(b.links[0]?.attributes).toEqual({ why: 'retry' });
    expect(b.resource.attributes).toEqual({ 'service.name': 'agent' });
    expect(b.instrumentationScope).toEqual(span.instrumentationScope);
    expect([b.droppedAttributesCount, b.droppedEventsCount, b.droppedLinksCount]).toEqual([
      1, 2, 3,
    ]);
  });

  it('gives spans with the same resource attributes one resource', () => {
    const e = encodeSpan(span);
    const [a, b] = decodeSpans([e, e]);
    expect(a?.resource).toBe(b?.resource);
  });
});
