/**
 * Poison pills: rows the mapper writes but the engine refuses. A CHECK
 * constraint on the real `otel_traces` table refuses spans named `poison-*`,
 * and the engine itself refuses a time `DateTime64(9)` cannot hold. The
 * batch is bisected: every other row is stored exactly once, the refused
 * ones land in the dead-letter file, and a replay of the same batch after a
 * simulated crash stores nothing twice.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diag, DiagLogLevel, type DiagLogger, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { DeadLetter, DEAD_LETTER_FILE, DEAD_LETTER_SUBDIR } from '../src/dead-letter.js';
import { NotStoredError, StoreWriteError } from '../src/errors.js';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { createStore } from '../src/store.js';
import { exportSpans } from './support/spans.js';
import { countSpans, createTracesDatabase, randomDatabase, tempDir } from './support/store.js';

const store = createStore({ path: tempDir('poison') });
afterAll(() => store.close());

/** What was logged through `diag` during a test. */
const logged: { level: string; text: string }[] = [];
const logger: DiagLogger = {
  error: (...args) => logged.push({ level: 'error', text: args.map(String).join(' ') }),
  warn: (...args) => logged.push({ level: 'warn', text: args.map(String).join(' ') }),
  info: (...args) => logged.push({ level: 'info', text: args.map(String).join(' ') }),
  debug: (...args) => logged.push({ level: 'debug', text: args.map(String).join(' ') }),
  verbose: (...args) => logged.push({ level: 'verbose', text: args.map(String).join(' ') }),
};
beforeEach(() => {
  logged.length = 0;
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
});
afterEach(() => diag.disable());

/** A marker in every poison span, to prove it is never logged. */
const SECRET = 'poison-content-never-logged';

interface SpanSpec {
  readonly name: string;
  readonly startTime?: HrTime;
  readonly eventTime?: HrTime;
}

/** Real spans from a real tracer, one per spec, in order. */
async function spansOf(specs: readonly SpanSpec[]): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'poison-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('poison-test');
  for (const spec of specs) {
    const span = tracer.startSpan(spec.name, {
      attributes: { marker: spec.name.startsWith('poison') ? SECRET : 'fine' },
      ...(spec.startTime ? { startTime: spec.startTime } : {}),
    });
    if (spec.eventTime) span.addEvent('e', {}, spec.eventTime);
    span.end(spec.startTime);
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** `n` span specs, poison at `bad` positions. */
function specs(n: number, bad: readonly number[]): SpanSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: bad.includes(i) ? `poison-${i}` : `good-${i}`,
  }));
}

/** A traces database whose table refuses spans named `poison-*`. */
async function poisonDatabase(): Promise<string> {
  const database = await createTracesDatabase(store.client);
  await store.client.command({
    query: `ALTER TABLE ${database}.otel_traces ADD CONSTRAINT no_poison CHECK NOT startsWith(SpanName, 'poison')`,
  });
  return database;
}

async function storedNames(database: string): Promise<string[]> {
  const result = await store.client.query({
    query: `SELECT SpanName FROM ${database}.otel_traces ORDER BY SpanName`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ SpanName: string }>()).map((r) => r.SpanName);
}

interface DeadRecord {
  token: string;
  clickhouseCode: number | null;
  clickhouseType: string | null;
  row: { SpanName: string; SpanId: string };
}

function deadRecords(spoolDir: string): DeadRecord[] {
  const file = join(spoolDir, DEAD_LETTER_SUBDIR, DEAD_LETTER_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as DeadRecord);
}

function spoolFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.ndjson'));
}

/** Exports `spans` as one batch into `database` and waits until it is settled. */
async function exportOneBatch(
  database: string,
  spans: ReadableSpan[],
  spoolDir: string | undefined,
): Promise<ClickHouseSpanExporter> {
  const exporter = new ClickHouseSpanExporter({
    store,
    database,
    maxBatchSize: Math.max(spans.length, 1),
    flushIntervalMs: 60_000,
    ...(spoolDir === undefined ? {} : { spoolDir }),
  });
  const result = await exportSpans(exporter, spans);
  // With a spool the call is acknowledged once on disk; without one, only
  // if every row reached the store (a refused row fails the call).
  if (spoolDir !== undefined) expect(result.code).toBe(ExportResultCode.SUCCESS);
  lastResult = result;
  await exporter.forceFlush();
  return exporter;
}

/** The callback of the last {@link exportOneBatch}. */
let lastResult: ExportResult | undefined;

function expectNoContentLogged(): void {
  for (const entry of logged) expect(entry.text).not.toContain(SECRET);
  for (const entry of logged) expect(entry.text).not.toContain('poison-');
}

describe('ClickHouseSpanExporter', () => {
  describe('poison pills', () => {
    it.each([0, 517, 1023])('stores 1023 of 1024 spans when row %i is refused', async (bad) => {
      const database = await poisonDatabase();
      const spoolDir = tempDir('poison-spool');
      const exporter = await exportOneBatch(database, await spansOf(specs(1024, [bad])), spoolDir);

      expect(await countSpans(store.client, database)).toEqual({ rows: 1023, distinct: 1023 });
      const dead = deadRecords(spoolDir);
      expect(dead.map((r) => r.row.SpanName)).toEqual([`poison-${bad}`]);
      expect(dead[0]).toMatchObject({ clickhouseCode: 469, clickhouseType: 'VIOLATED_CONSTRAINT' });
      const stats = exporter.stats;
      expect(stats).toMatchObject({
        storedSpans: 1023,
        deadLetteredSpans: 1,
        failedSpans: 0,
        deferredSpans: 0,
      });
      // After the first insert: at least one and at most two halves per level (log2(1024) = 10).
      expect(stats.bisectInserts).toBeGreaterThanOrEqual(10);
      expect(stats.bisectInserts).toBeLessThanOrEqual(20);
      expect(spoolFiles(spoolDir)).toEqual([]);
      expect(logged.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([
        expect.stringContaining('1 dead-lettered'),
      ]);
      expectNoContentLogged();
      console.info(`[figure] 1 refused row in 1024 at ${bad}: ${1 + stats.bisectInserts} inserts`);
      await exporter.shutdown();
    });

    it('isolates several refused rows scattered through a batch', async () => {
      const database = await poisonDatabase();
      const spoolDir = tempDir('poison-spool');
      const bad = [3, 4, 50, 61, 99];
      const exporter = await exportOneBatch(database, await spansOf(specs(100, bad)), spoolDir);

      expect(await countSpans(store.client, database)).toEqual({ rows: 95, distinct: 95 });
      const names = await storedNames(database);
      expect(names.some((n) => n.startsWith('poison'))).toBe(false);
      expect(
        deadRecords(spoolDir)
          .map((r) => r.row.SpanName)
          .sort(),
      ).toEqual(bad.map((i) => `poison-${i}`).sort());
      expect(exporter.stats).toMatchObject({
        storedSpans: 95,
        deadLetteredSpans: 5,
        failedSpans: 0,
      });
      expectNoContentLogged();
      await exporter.shutdown();
    });

    it('dead-letters a batch whose every row is refused', async () => {
      const database = await poisonDatabase();
      const spoolDir = tempDir('poison-spool');
      const exporter = await exportOneBatch(
        database,
        await spansOf(specs(8, [0, 1, 2, 3, 4, 5, 6, 7])),
        spoolDir,
      );
      expect(await countSpans(store.client, database)).toEqual({ rows: 0, distinct: 0 });
      expect(deadRecords(spoolDir)).toHaveLength(8);
      expect(exporter.stats).toMatchObject({
        storedSpans: 0,
        deadLetteredSpans: 8,
        failedSpans: 0,
      });
      await exporter.shutdown();
    });

    it('dead-letters spans whose start or event time DateTime64(9) cannot hold', async () => {
      const database = await createTracesDatabase(store.client);
      const spoolDir = tempDir('poison-spool');
      const spans = await spansOf([
        { name: 'good-0' },
        { name: 'poison-after-2262', startTime: [9_223_372_037, 0] },
        { name: 'good-1' },
        { name: 'poison-event', eventTime: [10_000_000_000, 0] },
        { name: 'poison-negative', startTime: [-5, 0] },
        // The first second of the epoch and the very last DateTime64(9) value are stored.
        { name: 'good-epoch', startTime: [0, 1] },
        { name: 'good-last', startTime: [9_223_372_036, 854_775_807] },
      ]);
      const exporter = await exportOneBatch(database, spans, spoolDir);

      expect(await storedNames(database)).toEqual(['good-0', 'good-1', 'good-epoch', 'good-last']);
      const times = await store.client.query({
        query: `SELECT SpanName, toString(toUnixTimestamp64Nano(Timestamp)) AS ns FROM ${database}.otel_traces WHERE SpanName IN ('good-epoch', 'good-last') ORDER BY SpanName`,
        format: 'JSONEachRow',
      });
      expect(await times.json()).toEqual([
        { SpanName: 'good-epoch', ns: '1' },
        { SpanName: 'good-last', ns: '9223372036854775807' },
      ]);
      expect(
        deadRecords(spoolDir)
          .map((r) => r.row.SpanName)
          .sort(),
      ).toEqual(['poison-after-2262', 'poison-event', 'poison-negative']);
      expect(exporter.stats).toMatchObject({ storedSpans: 4, deadLetteredSpans: 3 });
      await exporter.shutdown();
    });

    it('stores nothing twice when the same batch is replayed after a crash', async () => {
      const database = await poisonDatabase();
      const spoolDir = tempDir('poison-spool');
      const saved = tempDir('poison-saved');
      const first = new ClickHouseSpanExporter({
        store,
        database,
        spoolDir,
        maxBatchSize: 64,
        flushIntervalMs: 60_000,
      });
      await exportSpans(first, await spansOf(specs(40, [7, 31])));
      const [file] = spoolFiles(spoolDir);
      expect(file).toBeDefined();
      copyFileSync(join(spoolDir, file ?? ''), join(saved, file ?? ''));
      await first.forceFlush();
      expect(await countSpans(store.client, database)).toEqual({ rows: 38, distinct: 38 });
      expect(spoolFiles(spoolDir)).toEqual([]);
      // The process "died" after the bisection, before the spool file was deleted.
      copyFileSync(join(saved, file ?? ''), join(spoolDir, file ?? ''));

      const restarted = new ClickHouseSpanExporter({ store, database, spoolDir });
      await restarted.forceFlush();
      expect(restarted.stats).toMatchObject({ replayedSpans: 40, failedSpans: 0 });
      expect(await countSpans(store.client, database)).toEqual({ rows: 38, distinct: 38 });
      const dead = deadRecords(spoolDir);
      expect(dead.map((r) => r.row.SpanName).sort()).toEqual(['poison-31', 'poison-7']);
      expect(new Set(dead.map((r) => r.token)).size).toBe(2);
      expect(spoolFiles(spoolDir)).toEqual([]);
      await first.shutdown();
      await restarted.shutdown();
    });

    it('fails the whole batch, without bisecting, when no row could be stored', async () => {
      const database = randomDatabase('missing');
      const spoolDir = tempDir('poison-spool');
      const exporter = await exportOneBatch(database, await spansOf(specs(16, [])), spoolDir);
      expect(exporter.stats).toMatchObject({
        storedSpans: 0,
        failedSpans: 16,
        deadLetteredSpans: 0,
        bisectInserts: 0,
      });
      expect(deadRecords(spoolDir)).toEqual([]);
      await exporter.shutdown();
    });

    it('counts refused rows as failed when there is no dead letter', async () => {
      const database = await poisonDatabase();
      const exporter = await exportOneBatch(database, await spansOf(specs(10, [2])), undefined);
      // Not every span reached the store, so the call is not acknowledged.
      expect(lastResult?.code).toBe(ExportResultCode.FAILED);
      expect(lastResult?.error).toBeInstanceOf(NotStoredError);
      expect(await countSpans(store.client, database)).toEqual({ rows: 9, distinct: 9 });
      expect(exporter.stats).toMatchObject({
        storedSpans: 9,
        failedSpans: 1,
        deadLetteredSpans: 0,
      });
      expectNoContentLogged();
      await exporter.shutdown();
    });
  });

  describe('deadLetterDir', () => {
    it('keeps refused rows there without a spool, within maxDeadLetterBytes', async () => {
      const database = await poisonDatabase();
      const deadLetterDir = tempDir('poison-dead');
      const spans = await spansOf(specs(20, [1, 5, 9, 13]));
      const exporter = new ClickHouseSpanExporter({
        store,
        database,
        deadLetterDir,
        // Room for about one record of these rows.
        maxDeadLetterBytes: 1_500,
        maxBatchSize: 20,
        flushIntervalMs: 60_000,
      });
      await exportSpans(exporter, spans);
      await exporter.forceFlush();
      expect(await countSpans(store.client, database)).toEqual({ rows: 16, distinct: 16 });
      const file = join(deadLetterDir, DEAD_LETTER_FILE);
      const kept = readFileSync(file, 'utf8').trim().split('\n');
      expect(readFileSync(file).length).toBeLessThanOrEqual(1_500);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(4);
      expect(exporter.stats).toMatchObject({
        storedSpans: 16,
        deadLetteredSpans: kept.length,
        failedSpans: 4 - kept.length,
      });
      await exporter.shutdown();
    });
  });

  describe('DeadLetter', () => {
    const error = new StoreWriteError('insert failed', { retryable: false, clickhouseCode: 469 });
    const row = (i: number) => ({
      token: `t-${i}`,
      line: JSON.stringify({ SpanName: `s-${i}`, pad: 'x'.repeat(100) }),
      error,
    });

    it('keeps within its byte bound and counts what does not fit as dropped', async () => {
      const dir = tempDir('dead-letter');
      const dead = new DeadLetter(dir, 1_000);
      const result = await dead.add(Array.from({ length: 20 }, (_, i) => row(i)));
      expect(result.kept).toBeGreaterThan(0);
      expect(result.kept + result.dropped).toBe(20);
      expect(result.dropped).toBeGreaterThan(0);
      expect(readFileSync(dead.file).length).toBeLessThanOrEqual(1_000);
    });

    it('writes a row once across restarts, and survives a record cut short', async () => {
      const dir = tempDir('dead-letter');
      await new DeadLetter(dir).add([row(1), row(2)]);
      // A crash in the middle of a record.
      const file = join(dir, DEAD_LETTER_FILE);
      const { appendFileSync } = await import('node:fs');
      appendFileSync(file, '{"token":"t-3","row":{"Sp');
      const again = new DeadLetter(dir);
      expect(await again.add([row(1), row(2), row(3)])).toEqual({ kept: 3, dropped: 0 });
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const tokens = lines.flatMap((line) => {
        try {
          return [(JSON.parse(line) as { token: string }).token];
        } catch {
          return [];
        }
      });
      expect(tokens).toEqual(['t-1', 't-2', 't-3']);
    });
  });
});
