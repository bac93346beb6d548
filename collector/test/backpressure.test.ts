/**
 * Backpressure: with a stalled exporter and a small queue the collector
 * answers 429 (queue full) or 503 (too many requests at once) with
 * Retry-After, holds no more than its queue bound, and once the exporter
 * recovers (after failing a few times) every accepted span is exported once.
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

  it('answers 429 with Retry-After when the queue is full, then exports every accepted span', async () => {
    const exporter = new GatedExporter(3);
    t = await startCollector({
      exporter,
      maxQueueSpans: 200,
      maxExportBatchSize: 50,
      retryAfterSeconds: 2,
      maxExportAttempts: 10,
    });
    const accepted: string[] = [];
    let refused = 0;
    let maxQueue = 0;
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 400; i++) {
      const b = body(20, `r${i}`);
      const res = await post(t.url, b.bytes, 'application/x-protobuf');
      await res.arrayBuffer();
      if (res.status === 200) accepted.push(...b.ids);
      else {
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('2');
        refused++;
      }
      maxQueue = Math.max(maxQueue, queueGauge(t.collector.renderMetrics()));
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(accepted).toHaveLength(200);
    expect(refused).toBe(390);
    expect(maxQueue).toBeLessThanOrEqual(200);
    expect(rssGrowth).toBeLessThan(150 * 1024 * 1024);
    expect(t.collector.metrics.requests.get(429)).toBe(390);

    exporter.release();
    await t.collector.forceFlush();
    const exported = exporter.exported.map((s) => s.spanContext().spanId);
    expect(new Set(exported).size).toBe(exported.length);
    expect(exported.sort()).toEqual([...accepted].sort());
    expect(t.collector.metrics.dropped.size).toBe(0);
    expect(queueGauge(t.collector.renderMetrics())).toBe(0);

    const again = body(20, 'after');
    expect((await post(t.url, again.bytes, 'application/x-protobuf')).status).toBe(200);
    await t.collector.forceFlush();
    expect(exporter.exported.map((s) => s.spanContext().spanId)).toEqual(
      expect.arrayContaining(again.ids),
    );
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
