/**
 * A long outage of the server (30 s by default; set
 * AGENTTRACE_TEST_OUTAGE_MS to change it), in real time: the proxy refuses
 * connections while spans keep arriving. Figures: spans lost (0 within the
 * queue capacity) and duplicates (0: rows = distinct span ids).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { createStore, type Store } from '../src/store.js';
import { startChdbHttpBridge, type ChdbHttpBridge } from './support/chdb-http-bridge.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { exportSpans, makeSpans } from './support/spans.js';
import { countSpans, createTracesDatabase, tempDir } from './support/store.js';

const OUTAGE_MS = Number(process.env['AGENTTRACE_TEST_OUTAGE_MS'] ?? 30_000);
const TICK_MS = 100;
const SPANS_PER_TICK = 20;

let engine: Store;
let bridge: ChdbHttpBridge;
let proxy: FaultProxy;

beforeAll(async () => {
  engine = createStore({ path: tempDir('outage') });
  bridge = await startChdbHttpBridge(engine.client);
  proxy = await startFaultProxy(bridge.url);
});
afterAll(async () => {
  await proxy.close();
  await bridge.close();
  await engine.close();
});

describe('ClickHouseSpanExporter', () => {
  describe('during a server outage', () => {
    it(
      `loses and duplicates nothing it accepted through a ${OUTAGE_MS} ms outage`,
      async () => {
        const database = await createTracesDatabase(engine.client, 'outage');
        const expected = Math.ceil(OUTAGE_MS / TICK_MS) * SPANS_PER_TICK;
        const exporter = new ClickHouseSpanExporter({
          url: proxy.url,
          database,
          maxBatchSize: 500,
          maxQueueSize: expected + 1_000,
          flushIntervalMs: 200,
          maxRetryElapsedMs: OUTAGE_MS + 30_000,
        });
        const outage = proxy.outage(OUTAGE_MS);
        const started = Date.now();
        let sent = 0;
        while (Date.now() - started < OUTAGE_MS) {
          // Fresh span ids per tick: the same ReadableSpans re-sent would be duplicates by design.
          const batch = await makeSpans(SPANS_PER_TICK);
          await exportSpans(exporter, batch);
          sent += batch.length;
          await new Promise((resolve) => setTimeout(resolve, TICK_MS));
        }
        await outage;
        await exporter.shutdown();

        const counts = await countSpans(engine.client, database);
        const stats = exporter.stats;
        console.info(
          JSON.stringify({ test: 'outage', outageMs: OUTAGE_MS, sent, ...counts, ...stats }),
        );
        expect(stats.droppedSpans).toBe(0);
        expect(stats.failedSpans).toBe(0);
        expect(stats.retries).toBeGreaterThan(0);
        expect(counts.rows).toBe(sent);
        expect(counts.distinct).toBe(sent);
      },
      OUTAGE_MS + 60_000,
    );
  });
});
