/**
 * The HTTP surface: partial success in both encodings, the OTLP JSON mapping
 * (hex ids, intValue as string, enums by name), status codes for wrong
 * content types, sizes and tokens, /health, /metrics, and tail sampling.
 */
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import protobuf from 'protobufjs/minimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollector, keepByTraceId } from '../src/index.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { hexId, post, readPartialSuccess, startCollector, type TestCollector } from './helpers.js';

const T0 = '1700000000000000000';
const T1 = '1700000000250000000';

function jsonSpan(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    name: 'chat gpt-4o',
    kind: 'SPAN_KIND_CLIENT',
    startTimeUnixNano: T0,
    endTimeUnixNano: T1,
    attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '98765432' } }],
    status: { code: 'STATUS_CODE_OK' },
    ...overrides,
  };
}

function request(spans: Record<string, unknown>[]): string {
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ scope: { name: 's' }, spans }] }] });
}

describe('POST /v1/traces', () => {
  let t: TestCollector | undefined;
  afterEach(async () => {
    await t?.collector.close();
    t = undefined;
  });

  it('decodes the OTLP JSON mapping: hex ids, intValue strings, enum names and numbers', async () => {
    t = await startCollector();
    const span = jsonSpan({
      traceId: 'AB'.repeat(16),
      kind: 3,
      status: { code: 2, message: 'timeout' },
    });
    const res = await post(t.url, request([span]), 'application/json; charset=utf-8');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    await t.collector.forceFlush();
    const [got] = t.exporter.getFinishedSpans();
    expect(got?.spanContext().traceId).toBe('ab'.repeat(16));
    expect(got?.kind).toBe(SpanKind.CLIENT);
    expect(got?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'timeout' });
    expect(got?.attributes['gen_ai.usage.input_tokens']).toBe(98765432);
    expect(got?.startTime).toEqual([1700000000, 0]);
    expect(got?.endTime).toEqual([1700000000, 250000000]);
  });

  it('rejects invalid spans with partialSuccess (JSON) naming the field, keeps the rest', async () => {
    t = await startCollector();
    const res = await post(
      t.url,
      request([jsonSpan(), jsonSpan({ spanId: 'abcd' }), jsonSpan({ endTimeUnixNano: '1' })]),
      'application/json',
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: {
        rejectedSpans: 2,
        errorMessage:
          'resourceSpans[0].scopeSpans[0].spans[1].spanId: must be 8 bytes (got 2) (and 1 more)',
      },
    });
    await t.collector.forceFlush();
    expect(t.exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('answers partialSuccess in protobuf for a protobuf request', async () => {
    t = await startCollector();
    const w = protobuf.Writer.create();
    w.uint32(10).fork().uint32(18).fork();
    for (const traceIdLength of [16, 15]) {
      w.uint32(18).fork();
      w.uint32(10).bytes(new Uint8Array(traceIdLength).fill(7));
      w.uint32(18).bytes(new Uint8Array(8).fill(9));
      w.uint32(42).string('chat gpt-4o');
      for (const [tag, ns] of [
        [57, 1_700_000_000_000_000_000n],
        [65, 1_700_000_000_100_000_000n],
      ] as const)
        w.uint32(tag)
          .fixed32(Number(ns & 0xffffffffn))
          .fixed32(Number(ns >> 32n));
      w.ldelim();
    }
    w.ldelim().ldelim();
    const res = await post(t.url, w.finish(), 'application/x-protobuf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(readPartialSuccess(new Uint8Array(await res.arrayBuffer()))).toEqual({
      rejectedSpans: 1,
      errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].traceId: must be 16 bytes (got 15)',
    });
    await t.collector.forceFlush();
    const [got] = t.exporter.getFinishedSpans();
    expect(got?.startTime).toEqual([1_700_000_000, 0]);
    expect(got?.endTime).toEqual([1_700_000_000, 100_000_000]);
  });

  it('answers 400 naming the field when every span is invalid, 415, 413, 401, 404', async () => {
    t = await startCollector({
      tokens: ['token-aaaaaaaaaaaaaaaa', 'token-bbbbbbbbbbbbbbbb'],
      maxBodyBytes: 1024,
      maxDecompressedBytes: 4096,
    });
    const auth = { authorization: 'Bearer token-bbbbbbbbbbbbbbbb' };
    const bad = await post(t.url, request([jsonSpan({ name: 42 })]), 'application/json', auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: 3,
      message: 'resourceSpans[0].scopeSpans[0].spans[0].name: must be a string (got number)',
    });
    expect((await post(t.url, '{}', 'text/plain', auth)).status).toBe(415);
    expect((await post(t.url, 'x'.repeat(2000), 'application/json', auth)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(100_000));
    expect(bomb.length).toBeLessThan(1024);
    expect(
      (await post(t.url, bomb, 'application/json', { ...auth, 'content-encoding': 'gzip' })).status,
    ).toBe(413);
    expect((await post(t.url, '{}', 'application/json')).status).toBe(401);
    expect(
      (
        await post(t.url, '{}', 'application/json', {
          authorization: 'Bearer token-cccccccccccccccc',
        })
      ).status,
    ).toBe(401);
    expect((await post(t.url, '{}', 'application/json', auth)).status).toBe(200);
    expect((await fetch(`${t.url}/v1/logs`, { method: 'POST' })).status).toBe(404);
  });

  it('serves /health and /metrics', async () => {
    t = await startCollector();
    await post(
      t.url,
      request([jsonSpan({ attributes: [{ key: 'input.value', value: { stringValue: 'hi' } }] })]),
      'application/json',
    );
    await t.collector.forceFlush();
    const health = await fetch(`${t.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok', queue: 0 });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('agenttrace_collector_spans_received_total 1');
    expect(metrics).toContain('agenttrace_collector_spans_accepted_total 1');
    expect(metrics).toContain('agenttrace_collector_spans_exported_total 1');
    expect(metrics).toContain('agenttrace_collector_allowlist_redacted_total{key="input.value"} 1');
    expect(metrics).toContain('agenttrace_collector_requests_total{code="200"} 1');
    expect(metrics).toMatch(/agenttrace_collector_export_duration_seconds_count 1\n/);
  });

  it('refuses options naming the field, the expectation and the value', () => {
    const exporter = new InMemorySpanExporter();
    expect(() => createCollector({ exporter, maxQueueSpans: -1 })).toThrow(
      'maxQueueSpans Too small: expected number to be >0 (got -1)',
    );
    expect(() => createCollector({ exporter, tokens: ['short'] })).toThrow(
      'tokens.0 must be at least 16 characters (got a string of length 5)',
    );
  });
});

describe('tail sampling', () => {
  let t: TestCollector | undefined;
  afterEach(async () => {
    await t?.collector.close();
    t = undefined;
  });

  it('keeps every span of failed runs and samples successful runs by trace id', async () => {
    t = await startCollector({ tailSampling: { successRate: 0.25, decisionWaitMs: 60_000 } });
    const runs = Array.from({ length: 200 }, (_, i) => ({
      traceId: hexId(16),
      failed: i % 4 === 0,
    }));
    for (const run of runs) {
      const rootId = hexId(8);
      const child = jsonSpan({ traceId: run.traceId, parentSpanId: rootId });
      const root = jsonSpan({
        traceId: run.traceId,
        spanId: rootId,
        name: 'invoke_agent bot',
        status: run.failed ? { code: 'STATUS_CODE_ERROR' } : { code: 'STATUS_CODE_OK' },
      });
      // The child arrives first and waits for its run span.
      expect((await post(t.url, request([child]), 'application/json')).status).toBe(200);
      expect((await post(t.url, request([root]), 'application/json')).status).toBe(200);
    }
    await t.collector.forceFlush();
    const kept = new Map<string, number>();
    for (const s of t.exporter.getFinishedSpans())
      kept.set(s.spanContext().traceId, (kept.get(s.spanContext().traceId) ?? 0) + 1);
    for (const run of runs) {
      const expected = run.failed || keepByTraceId(run.traceId, 0.25) ? 2 : undefined;
      expect(kept.get(run.traceId)).toBe(expected);
    }
    const successfulKept = runs.filter((r) => !r.failed && kept.has(r.traceId)).length;
    expect(successfulKept).toBeGreaterThan(15);
    expect(successfulKept).toBeLessThan(60);
    expect(t.collector.metrics.dropped.get('sampled_out')).toBe(
      2 * runs.filter((r) => !kept.has(r.traceId)).length,
    );
  });
});
