/**
 * The on-disk spool: spans accepted by an exporter that is abandoned without
 * `shutdown` (a simulated crash) reach the store from the next exporter on
 * the same spool directory, and a batch stored just before the crash is not
 * stored twice when it is replayed.
 */
import { appendFileSync, copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExportResultCode } from '@opentelemetry/core';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { createStore } from '../src/store.js';
import { exportSpans, makeSpans } from './support/spans.js';
import { countSpans, createTracesDatabase, tempDir } from './support/store.js';

const store = createStore({ path: tempDir('spool') });
afterAll(() => store.close());

function spoolFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.ndjson'));
}

describe('ClickHouseSpanExporter', () => {
  describe('spool', () => {
    it('replays spans accepted before a crash on the next start', async () => {
      const database = await createTracesDatabase(store.client);
      const spoolDir = tempDir('spool-dir');
      // A long interval and large batches: nothing is written before the "crash".
      const crashed = new ClickHouseSpanExporter({
        store,
        database,
        spoolDir,
        flushIntervalMs: 60_000,
      });
      const results = await Promise.all([
        exportSpans(crashed, await makeSpans(30)),
        exportSpans(crashed, await makeSpans(12)),
      ]);
      expect(results.map((r) => r.code)).toEqual([
        ExportResultCode.SUCCESS,
        ExportResultCode.SUCCESS,
      ]);
      expect(await countSpans(store.client, database)).toEqual({ rows: 0, distinct: 0 });
      const [file] = spoolFiles(spoolDir);
      expect(file).toBeDefined();
      expect(
        readFileSync(join(spoolDir, file ?? ''), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(42);

      // `crashed` is abandoned: no shutdown, no flush.
      const restarted = new ClickHouseSpanExporter({ store, database, spoolDir });
      await restarted.forceFlush();
      expect(await countSpans(store.client, database)).toEqual({ rows: 42, distinct: 42 });
      expect(restarted.stats).toMatchObject({ replayedSpans: 42, storedSpans: 42 });
      expect(spoolFiles(spoolDir)).toEqual([]);
      await restarted.shutdown();
    });

    it('does not store a batch twice when it was stored just before the crash', async () => {
      const database = await createTracesDatabase(store.client);
      const spoolDir = tempDir('spool-dir');
      const saved = tempDir('spool-saved');
      const first = new ClickHouseSpanExporter({
        store,
        database,
        spoolDir,
        flushIntervalMs: 60_000,
      });
      await exportSpans(first, await makeSpans(20));
      // Keep a copy of the batch file as it was before the insert…
      const [file] = spoolFiles(spoolDir);
      copyFileSync(join(spoolDir, file ?? ''), join(saved, file ?? ''));
      await first.forceFlush();
      expect(spoolFiles(spoolDir)).toEqual([]);
      // …and put it back, as if the process died between the insert and the delete.
      copyFileSync(join(saved, file ?? ''), join(spoolDir, file ?? ''));

      const restarted = new ClickHouseSpanExporter({ store, database, spoolDir });
      await restarted.forceFlush();
      expect(restarted.stats).toMatchObject({ replayedSpans: 20, storedSpans: 20 });
      expect(await countSpans(store.client, database)).toEqual({ rows: 20, distinct: 20 });
      await first.shutdown();
      await restarted.shutdown();
    });

    it('ignores a line cut short by a crash mid-write', async () => {
      const database = await createTracesDatabase(store.client);
      const spoolDir = tempDir('spool-dir');
      const first = new ClickHouseSpanExporter({
        store,
        database,
        spoolDir,
        flushIntervalMs: 60_000,
      });
      await exportSpans(first, await makeSpans(3));
      const [file] = spoolFiles(spoolDir);
      const path = join(spoolDir, file ?? '');
      appendFileSync(path, '{"Timestamp":"17000');

      const restarted = new ClickHouseSpanExporter({ store, database, spoolDir });
      await restarted.forceFlush();
      expect(restarted.stats).toMatchObject({ replayedSpans: 3, storedSpans: 3, failedSpans: 0 });
      expect(await countSpans(store.client, database)).toEqual({ rows: 3, distinct: 3 });
      await restarted.shutdown();
    });

    it('deletes batch files once stored, and keeps nothing after shutdown', async () => {
      const database = await createTracesDatabase(store.client);
      const spoolDir = tempDir('spool-dir');
      const exporter = new ClickHouseSpanExporter({ store, database, spoolDir, maxBatchSize: 10 });
      await exportSpans(exporter, await makeSpans(35));
      await exporter.shutdown();
      expect(spoolFiles(spoolDir)).toEqual([]);
      expect(exporter.stats).toMatchObject({ storedSpans: 35, spoolErrors: 0 });
      expect(await countSpans(store.client, database)).toEqual({ rows: 35, distinct: 35 });
    });

    it('refuses a whole call when the spool is full, and accepts again once it drained', async () => {
      const database = await createTracesDatabase(store.client);
      // One call's size on disk, from an unbounded spool.
      const probeDir = tempDir('spool-probe');
      const probe = new ClickHouseSpanExporter({
        store,
        database: await createTracesDatabase(store.client),
        spoolDir: probeDir,
        flushIntervalMs: 60_000,
      });
      await exportSpans(probe, await makeSpans(10));
      const [probeFile] = spoolFiles(probeDir);
      const callBytes = statSync(join(probeDir, probeFile ?? '')).size;
      await probe.shutdown();

      const spoolDir = tempDir('spool-full');
      const exporter = new ClickHouseSpanExporter({
        store,
        database,
        spoolDir,
        flushIntervalMs: 60_000,
        maxSpoolBytes: Math.ceil(callBytes * 1.5),
      });
      expect((await exportSpans(exporter, await makeSpans(10))).code).toBe(
        ExportResultCode.SUCCESS,
      );
      const refused = await exportSpans(exporter, await makeSpans(10));
      expect(refused.code).toBe(ExportResultCode.FAILED);
      expect(refused.error).toMatchObject({ code: 'SPOOL_FULL', refused: 10 });
      // Nothing of the refused call was queued: a retry cannot store it twice.
      expect(exporter.stats.queuedSpans).toBe(10);
      await exporter.forceFlush();
      expect(spoolFiles(spoolDir)).toEqual([]);
      expect((await exportSpans(exporter, await makeSpans(10))).code).toBe(
        ExportResultCode.SUCCESS,
      );
      await exporter.shutdown();
      expect(await countSpans(store.client, database)).toEqual({ rows: 20, distinct: 20 });
    });
  });
});
