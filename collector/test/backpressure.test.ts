/**
 * Backpressure: with a stalled exporter and a small queue the collector
 * answers 429 (queue full) or 503 (too many requests at once) with
 * Retry-After, holds no more than its queue bound, answers 200 only once the
 * exporter confirmed the spans, 503 when it failed them, and 413 to a request
 * no queue could ever hold.
 */
import http from 'node:http';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { post, startCollector, type TestCollector } from './helpers.js';

/** Holds every export until released, then fails the first `failures` calls. */
class GatedExporter implements SpanExporter {
  readonly exported: ReadableSpan[] = [];
  private waiting: (() => void)[] = [];
  private open = false;
  calls = 0;
  constructor(private failures: number) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.calls++;
    const finish = () => {
      if (this.failures > 0) {
        this.failures--;
        done({ code: ExportResultCode.FAILED, error: new Error('store down') });
        return;
      }
      this.exported.push(...spans);
      done({ code: ExportResultCode.SUCCESS });
    };
    if (this.open) setTimeout(finish, 5);
    else this.waiting.push(finish);
  }
  release(): void {
    this.open = true;
    for (const w of this.waiting.splice(0)) w();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function body(n: number, prefix: string): { bytes: Uint8Array; ids: string[] } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('bp');
  for (let i = 0; i < n; i++) tracer.startSpan(`${prefix}_${i}`).end();
  const spans = memory.getFinishedSpans();
  return {
    bytes: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
    ids: spans.map((s) => s.spanContext().spanId),
  };
}

function queueGauge(text: string): number {
  const m = /^agenttrace_collector_queue_spans (\d+)$/m.exec(text);
  return Number(m?.[1]);
}

describe('backpressure', () => {
  let t: TestCollector | undefined;
  afterEach(async () => {
    await t?.collector.close();
    t = undefined;
  });

  it('answers 429 with Retry-After when the queue is full, and 200 only once the exporter confirmed', async () => {
    const exporter = new GatedExporter(0);
    t = await startCollector({
      exporter,
      maxQueueSpans: 200,
      maxExportBatchSize: 50,
      maxConcurrentRequests: 64,
      retryAfterSeconds: 2,
    });
    const rssBefore = process.memoryUsage().rss;
    const bodies = Array.from({ length: 30 }, (_, i) => body(20, `r${i}`));
    const answered: number[] = [];
    const responses = bodies.map((b, i) =>
      post(t!.url, b.bytes, 'application/x-protobuf').then(async (res) => {
        await res.arrayBuffer();
        answered.push(i);
        return res;
      }),
    );
    // 10 requests fill the queue and wait for the gated exporter; 20 are refused at once.
    for (let i = 0; i < 200 && answered.length < 20; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(answered).toHaveLength(20);
    expect(queueGauge(t.collector.renderMetrics())).toBe(200);
    expect(exporter.exported).toHaveLength(0);
    exporter.release();
    const results = await Promise.all(responses);
    const accepted = results.flatMap((res, i) => (res.status === 200 ? bodies[i]!.ids : []));
    for (const res of results.filter((r) => r.status !== 200)) {
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
    }
    expect(accepted).toHaveLength(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect(t.collector.metrics.requests.get(429)).toBe(20);
    const exported = exporter.exported.map((s) => s.spanContext().spanId);
    expect(new Set(exported).size).toBe(exported.length);
    expect(exported.sort()).toEqual([...accepted].sort());
    expect(queueGauge(t.collector.renderMetrics())).toBe(0);
  });

  it('refuses a request whose export failed with 503, acknowledging none of it', async () => {
    const exporter = new GatedExporter(3);
    exporter.release();
    t = await startCollector({ exporter, retryAfterSeconds: 2 });
    const statuses: number[] = [];
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) {
      const b = body(20, `f${i}`);
      const res = await post(t.url, b.bytes, 'application/x-protobuf');
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 200) acknowledged.push(...b.ids);
      else expect(res.headers.get('retry-after')).toBe('2');
    }
    expect(statuses).toEqual([503, 503, 503, 200, 200]);
    expect(exporter.exported.map((s) => s.spanContext().spanId).sort()).toEqual(
      acknowledged.sort(),
    );
    expect(t.collector.metrics.rejected.get('unavailable')).toBe(60);
    expect(t.collector.metrics.exported).toBe(40);
  });

  it('answers 413 naming the maximum to a request that could never fit the queue', async () => {
    t = await startCollector({ maxQueueSpans: 50 });
    const res = await post(t.url, body(51, 'big').bytes, 'application/x-protobuf');
    expect(res.status).toBe(413);
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(text).toContain('holds 51 valid spans; at most 50');
    expect(t.exporter.getFinishedSpans()).toHaveLength(0);
    expect((await post(t.url, body(50, 'fits').bytes, 'application/x-protobuf')).status).toBe(200);
  });

  it('answers 503 with Retry-After past maxConcurrentRequests', async () => {
    t = await startCollector({ maxConcurrentRequests: 1, retryAfterSeconds: 3 });
    const { port } = new URL(t.url);
    // A request whose body never finishes holds the only slot.
    const stalled = http.request({
      host: '127.0.0.1',
      port,
      path: '/v1/traces',
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-length': '1000' },
    });
    stalled.on('error', () => undefined);
    stalled.write(Buffer.alloc(10));
    await new Promise((r) => setTimeout(r, 100));
    const res = await post(t.url, body(1, 'x').bytes, 'application/x-protobuf');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    stalled.destroy();
  });

  it('counts the backlog an exporter reports against the queue bound', async () => {
    let held = 0;
    const queueing: SpanExporter = {
      export: (spans, done) => {
        held += spans.length; // acknowledged at once, written later: like ClickHouseSpanExporter
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    };
    t = await startCollector({
      exporter: queueing,
      maxQueueSpans: 100,
      downstreamBacklog: () => held,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await post(t.url, body(20, `d${i}`).bytes, 'application/x-protobuf');
      statuses.push(res.status);
      await t.collector.forceFlush();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(t.collector.renderMetrics()).toContain(
      'agenttrace_collector_downstream_backlog_spans 100',
    );
    held = 0;
    expect((await post(t.url, body(20, 'later').bytes, 'application/x-protobuf')).status).toBe(200);
  });
});
