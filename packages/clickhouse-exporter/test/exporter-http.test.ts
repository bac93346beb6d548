/**
 * The server path end to end: exporter → fault proxy → chDB HTTP bridge →
 * chDB. Faults are real (refused ports, injected 503s, answers held past the
 * client timeout); the figures asserted are spans lost, duplicates and
 * overflow.
 */
import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExportResultCode } from '@opentelemetry/core';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { QueueOverflowError } from '../src/errors.js';
import { createStore, type Store } from '../src/store.js';
import { startChdbHttpBridge, type ChdbHttpBridge } from './support/chdb-http-bridge.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { exportSpans, makeSpans } from './support/spans.js';
import { countSpans, createTracesDatabase, tempDir } from './support/store.js';

let engine: Store;
let bridge: ChdbHttpBridge;
let proxy: FaultProxy;
let database: string;

beforeAll(async () => {
  engine = createStore({ path: tempDir('http') });
  bridge = await startChdbHttpBridge(engine.client);
});
afterAll(async () => {
  await bridge.close();
  await engine.close();
});
beforeEach(async () => {
  database = await createTracesDatabase(engine.client, 'http');
  proxy = await startFaultProxy(bridge.url);
});
afterEach(() => proxy.close());

function serverExporter(options: ConstructorParameters<typeof ClickHouseSpanExporter>[0] = {}) {
  return new ClickHouseSpanExporter({
    url: proxy.url,
    database,
    flushIntervalMs: 50,
    ...options,
  });
}

describe('ClickHouseSpanExporter', () => {
  describe('over HTTP', () => {
    it('stores spans through the bridge', async () => {
      const exporter = serverExporter();
      const result = await exportSpans(exporter, await makeSpans(25));
      await exporter.shutdown();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(await countSpans(engine.client, database)).toEqual({ rows: 25, distinct: 25 });
      expect(exporter.stats).toMatchObject({ storedSpans: 25, failedSpans: 0, retries: 0 });
    });

    it('retries a 503 and inserts once', async () => {
      proxy.failNext(3, 503, 'Service Unavailable');
      const exporter = serverExporter();
      await exportSpans(exporter, await makeSpans(40));
      await exporter.forceFlush();
      expect(await countSpans(engine.client, database)).toEqual({ rows: 40, distinct: 40 });
      expect(exporter.stats).toMatchObject({ storedSpans: 40, retries: 3, failedSpans: 0 });
      await exporter.shutdown();
    });

    it('retries a retryable ClickHouse code (TOO_MANY_PARTS) but not a bad request', async () => {
      proxy.failNext(1, 500, 'Code: 252. DB::Exception: Too many parts. (TOO_MANY_PARTS)', {
        'X-ClickHouse-Exception-Code': '252',
      });
      proxy.failNext(1, 500, 'Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)', {
        'X-ClickHouse-Exception-Code': '62',
      });
      const exporter = serverExporter({ maxBatchSize: 10 });
      await exportSpans(exporter, await makeSpans(20));
      await exporter.forceFlush();
      // First batch: 252 then stored. Second batch: 62, failed without retry.
      expect(exporter.stats).toMatchObject({ storedSpans: 10, failedSpans: 10, retries: 1 });
      expect(await countSpans(engine.client, database)).toEqual({ rows: 10, distinct: 10 });
      await exporter.shutdown();
    });

    it('survives refused connections without loss', async () => {
      await proxy.refuse();
      const exporter = serverExporter();
      // Without a spool the call is acknowledged only once its spans are stored.
      let acknowledged = false;
      const exported = exportSpans(exporter, await makeSpans(30)).then((r) => {
        acknowledged = true;
        return r;
      });
      const flushed = exporter.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(acknowledged).toBe(false);
      await proxy.restore();
      await flushed;
      expect((await exported).code).toBe(ExportResultCode.SUCCESS);
      expect(exporter.stats.retries).toBeGreaterThan(0);
      expect(await countSpans(engine.client, database)).toEqual({ rows: 30, distinct: 30 });
      await exporter.shutdown();
    });

    it('stores a batch once when its answer is lost to a client timeout', async () => {
      // The upstream stores the batch, the answer arrives after the client gave up;
      // the retry carries the same insert_deduplication_token. The timeout leaves
      // room for an undelayed insert on a loaded machine (the bridge's chDB runs in
      // this process): with 500 ms the batch ran out of retries at load 14.
      proxy.delayNext(2, 3_500);
      const exporter = serverExporter({ requestTimeoutMs: 3_000 });
      await exportSpans(exporter, await makeSpans(50));
      await exporter.forceFlush();
      expect(proxy.counts.delayed).toBe(2);
      expect(exporter.stats).toMatchObject({ storedSpans: 50, failedSpans: 0 });
      expect(exporter.stats.retries).toBeGreaterThanOrEqual(2);
      expect(await countSpans(engine.client, database)).toEqual({ rows: 50, distinct: 50 });
      await exporter.shutdown();
    });

    it('counts overflow exactly while the store is down, and loses nothing it accepted', async () => {
      await proxy.refuse();
      const exporter = serverExporter({ maxQueueSize: 100, maxBatchSize: 50 });
      let acknowledged = false;
      const first = exportSpans(exporter, await makeSpans(80)).then((r) => {
        acknowledged = true;
        return r;
      });
      const second = await exportSpans(exporter, await makeSpans(70));
      expect(second.code).toBe(ExportResultCode.FAILED);
      expect(second.error).toBeInstanceOf(QueueOverflowError);
      expect(exporter.stats).toMatchObject({
        acceptedSpans: 80,
        droppedSpans: 70,
        queuedSpans: 80,
      });
      // The accepted call is not acknowledged while the store is down.
      expect(acknowledged).toBe(false);
      await proxy.restore();
      expect((await first).code).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
      expect(exporter.stats).toMatchObject({ storedSpans: 80, failedSpans: 0, queuedSpans: 0 });
      expect(await countSpans(engine.client, database)).toEqual({ rows: 80, distinct: 80 });
    });

    it('keeps spans in the spool through an outage longer than the retry bound', async () => {
      await proxy.refuse();
      const spoolDir = tempDir('http-spool');
      const first = serverExporter({ spoolDir, maxAttempts: 2 });
      await exportSpans(first, await makeSpans(15));
      await first.shutdown();
      expect(first.stats).toMatchObject({ deferredSpans: 15, failedSpans: 0, storedSpans: 0 });
      expect(readdirSync(spoolDir)).toHaveLength(1);

      await proxy.restore();
      const restarted = serverExporter({ spoolDir });
      await restarted.forceFlush();
      expect(restarted.stats).toMatchObject({ replayedSpans: 15, storedSpans: 15 });
      expect(readdirSync(spoolDir)).toHaveLength(0);
      expect(await countSpans(engine.client, database)).toEqual({ rows: 15, distinct: 15 });
      await restarted.shutdown();
    });

    it('tries a deferred batch again, without a restart, once the store is back', async () => {
      await proxy.refuse();
      const spoolDir = tempDir('http-spool-again');
      const exporter = serverExporter({ spoolDir, maxAttempts: 2, deferredRetryMs: 300 });
      await exportSpans(exporter, await makeSpans(12));
      await exporter.forceFlush();
      expect(exporter.stats).toMatchObject({ deferredSpans: 12, storedSpans: 0 });
      await proxy.restore();
      // the batch is counted stored once the insert answers; its file is deleted after that
      const spooled = () => readdirSync(spoolDir).filter((f) => f.endsWith('.ndjson'));
      for (let i = 0; i < 100 && (exporter.stats.storedSpans < 12 || spooled().length > 0); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(exporter.stats).toMatchObject({ storedSpans: 12, replayedSpans: 12 });
      expect(spooled()).toHaveLength(0);
      expect(await countSpans(engine.client, database)).toEqual({ rows: 12, distinct: 12 });
      await exporter.shutdown();
    });

    it('gives up after the attempt bound and counts the batch as failed', async () => {
      proxy.failNext(3, 503);
      const exporter = serverExporter({ maxAttempts: 2 });
      await exportSpans(exporter, await makeSpans(5));
      await exporter.forceFlush();
      expect(exporter.stats).toMatchObject({ storedSpans: 0, failedSpans: 5, retries: 1 });
      await exporter.shutdown();
    });
  });
});
