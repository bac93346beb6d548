/**
 * The tail spool through the real collector on 127.0.0.1 port 0: spans that
 * wait for a sampling decision are on disk before the 200, and a second
 * collector on the same directory (the first one abandoned, as after a
 * crash) replays them: kept traces reach the exporter, dropped ones do not,
 * spans the exporter already took are not exported again, and a full spool
 * answers 503.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TailSamplingOptions } from '../src/index.js';
import { hexId, post, startCollector, type TestCollector } from './helpers.js';

const started: TestCollector[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) await t.collector.close();
});

/** An OTLP/JSON request of `children` child spans, and the root span when `root` is set. */
function trace(
  traceId: string,
  rootId: string,
  opts: { children?: number; root?: boolean; failed?: boolean },
): { body: string; ids: string[] } {
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = (spanId: string, parent: string | undefined) => ({
    traceId,
    spanId,
    ...(parent ? { parentSpanId: parent } : {}),
    name: parent ? 'step' : 'run',
    kind: 1,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
    ...(!parent && opts.failed ? { status: { code: 2 } } : {}),
  });
  const spans = Array.from({ length: opts.children ?? 0 }, () => span(hexId(8), rootId));
  if (opts.root) spans.push(span(rootId, undefined));
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'tail' } }] },
        scopeSpans: [{ scope: { name: 'tail-test' }, spans }],
      },
    ],
  });
  return { body, ids: spans.map((s) => s.spanId) };
}

async function start(dir: string, tail: TailSamplingOptions = {}): Promise<TestCollector> {
  const t = await startCollector({
    tailSampling: { successRate: 1, decisionWaitMs: 60_000, spoolDir: dir, ...tail },
  });
  started.push(t);
  return t;
}

const exportedIds = (t: TestCollector) =>
  t.exporter.getFinishedSpans().map((s) => s.spanContext().spanId);

/** Waits (bounded) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('tail sampling with a tail spool', () => {
  it('has undecided spans on disk when it answers 200, and a restart keeps their trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-tail-'));
    const traceId = hexId(16);
    const rootId = hexId(8);
    const first = await start(dir);
    const children = trace(traceId, rootId, { children: 3 });
    expect((await post(first.url, children.body, 'application/json')).status).toBe(200);
    const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(first.exporter.getFinishedSpans()).toHaveLength(0);

    // The first collector is abandoned with the spans undecided, as a crash would leave it.
    const second = await start(dir);
    const root = trace(traceId, rootId, { root: true });
    expect((await post(second.url, root.body, 'application/json')).status).toBe(200);
    await until(() => second.exporter.getFinishedSpans().length >= 4);
    expect(exportedIds(second).sort()).toEqual([...children.ids, ...root.ids].sort());
    const replayed = second.exporter.getFinishedSpans().find((s) => s.name === 'step');
    expect(replayed?.parentSpanContext?.spanId).toBe(rootId);
    expect(replayed?.resource.attributes['service.name']).toBe('tail');
  });

  it('does not store a trace decided as dropped after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-tail-'));
    const traceId = hexId(16);
    const rootId = hexId(8);
    const first = await start(dir, { successRate: 0 });
    const whole = trace(traceId, rootId, { children: 2, root: true });
    expect((await post(first.url, whole.body, 'application/json')).status).toBe(200);
    // A late span of the dropped trace, written after its decision.
    const late = trace(traceId, rootId, { children: 1 });
    expect((await post(first.url, late.body, 'application/json')).status).toBe(200);
    // Restarted at successRate 1: only the recorded decision can still drop the trace.
    const second = await start(dir, { successRate: 1, decisionWaitMs: 1 });
    await new Promise((r) => setTimeout(r, 1_100));
    await second.collector.forceFlush();
    expect(second.exporter.getFinishedSpans()).toHaveLength(0);
    expect(first.exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('keeps a failed run whole at successRate 0, and does not export it again after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-tail-'));
    const first = await start(dir, { successRate: 0 });
    const failed = trace(hexId(16), hexId(8), { children: 2, root: true, failed: true });
    expect((await post(first.url, failed.body, 'application/json')).status).toBe(200);
    await first.collector.forceFlush();
    expect(exportedIds(first).sort()).toEqual([...failed.ids].sort());

    const second = await start(dir, { successRate: 1, decisionWaitMs: 1 });
    await new Promise((r) => setTimeout(r, 1_100));
    await second.collector.forceFlush();
    expect(second.exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('answers 503 when the tail spool is full, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-tail-'));
    const t = await start(dir, { maxSpoolBytes: 2_000 });
    const small = trace(hexId(16), hexId(8), { children: 1 });
    expect((await post(t.url, small.body, 'application/json')).status).toBe(200);
    const big = trace(hexId(16), hexId(8), { children: 20 });
    const res = await post(t.url, big.body, 'application/json');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(t.exporter.getFinishedSpans()).toHaveLength(0);
  });
});
