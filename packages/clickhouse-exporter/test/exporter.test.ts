/**
 * `ClickHouseSpanExporter` on the embedded engine with real OTel pipelines:
 * round trips through `BatchSpanProcessor` and `SimpleSpanProcessor`,
 * `forceFlush` / `shutdown` semantics, option validation and overflow.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import { context, diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { createChdbConnection } from 'chdb/connection';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ExporterShutDownError, InvalidOptionsError, QueueOverflowError } from '../src/errors.js';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { createStore, type Store } from '../src/store.js';
import { AlsContextManager } from './support/als-context-manager.js';
import { exportSpans, makeSpans } from './support/spans.js';
import { countSpans, createTracesDatabase, randomDatabase, tempDir } from './support/store.js';

const storePath = tempDir('exporter');
const store = createStore({ path: storePath });
const noop = () => undefined;
const silent: DiagLogger = { error: noop, warn: noop, info: noop, debug: noop, verbose: noop };
afterAll(() => store.close());

async function runPipeline(processor: (exporter: ClickHouseSpanExporter) => SpanProcessor) {
  const database = await createTracesDatabase(store.client);
  const exporter = new ClickHouseSpanExporter({ store, database, flushIntervalMs: 20 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'pipeline' }),
    spanProcessors: [processor(exporter)],
  });
  const tracer = provider.getTracer('pipeline-test');
  for (let i = 0; i < 300; i++) tracer.startSpan(`step-${i % 7}`).end();
  await provider.shutdown();
  return { database, exporter };
}

function invalid(options: Record<string, unknown>): InvalidOptionsError {
  try {
    new ClickHouseSpanExporter({ store, ...options });
  } catch (error) {
    if (error instanceof InvalidOptionsError) return error;
    throw error;
  }
  throw new Error('expected InvalidOptionsError');
}

describe('ClickHouseSpanExporter', () => {
  describe('.export', () => {
    it('stores every span of a BatchSpanProcessor pipeline once', async () => {
      const { database, exporter } = await runPipeline(
        (e) => new BatchSpanProcessor(e, { maxExportBatchSize: 64, scheduledDelayMillis: 10 }),
      );
      expect(await countSpans(store.client, database)).toEqual({ rows: 300, distinct: 300 });
      expect(exporter.stats).toMatchObject({
        acceptedSpans: 300,
        storedSpans: 300,
        queuedSpans: 0,
      });
    });

    it('stores every span of a SimpleSpanProcessor pipeline once', async () => {
      const { database, exporter } = await runPipeline((e) => new SimpleSpanProcessor(e));
      expect(await countSpans(store.client, database)).toEqual({ rows: 300, distinct: 300 });
      expect(exporter.stats.storedSpans).toBe(300);
    });

    it('splits large exports into batches of maxBatchSize', async () => {
      const database = await createTracesDatabase(store.client);
      const exporter = new ClickHouseSpanExporter({ store, database, maxBatchSize: 40 });
      await exportSpans(exporter, await makeSpans(100));
      await exporter.forceFlush();
      const parts = await store.client.query({
        query: `SELECT count() AS parts FROM system.parts WHERE database = {db:String} AND table = 'otel_traces' AND active`,
        query_params: { db: database },
        format: 'JSONEachRow',
      });
      expect(await parts.json()).toEqual([{ parts: 3 }]);
      await exporter.shutdown();
    });

    it('drops a whole call that does not fit in maxQueueSize, counts it and fails it', async () => {
      const database = await createTracesDatabase(store.client);
      // A long interval keeps the first spans queued (acknowledged from the spool)
      // while the second call arrives.
      const exporter = new ClickHouseSpanExporter({
        store,
        database,
        maxQueueSize: 10,
        maxBatchSize: 10,
        flushIntervalMs: 60_000,
        spoolDir: tempDir('overflow-spool'),
      });
      const spans = await makeSpans(14);
      const first = await exportSpans(exporter, spans.slice(0, 6));
      const second = await exportSpans(exporter, spans.slice(6));
      expect(first.code).toBe(ExportResultCode.SUCCESS);
      expect(second.code).toBe(ExportResultCode.FAILED);
      expect(second.error).toBeInstanceOf(QueueOverflowError);
      expect((second.error as QueueOverflowError).dropped).toBe(8);
      await exporter.shutdown();
      expect(exporter.stats).toMatchObject({ acceptedSpans: 6, droppedSpans: 8, storedSpans: 6 });
      expect(await countSpans(store.client, database)).toEqual({ rows: 6, distinct: 6 });
    });

    it('fails a batch the table rejects without retrying it', async () => {
      const exporter = new ClickHouseSpanExporter({ store, database: 'no_such_db_x' });
      await exportSpans(exporter, await makeSpans(3));
      await exporter.forceFlush();
      expect(exporter.stats).toMatchObject({ failedSpans: 3, storedSpans: 0, retries: 0 });
      await exporter.shutdown();
    });
  });

  describe('table check', () => {
    it('warns once when the table cannot deduplicate retried inserts', async () => {
      const source = await createTracesDatabase(store.client);
      const database = randomDatabase('nodedup');
      await store.client.command({ query: `CREATE DATABASE ${database}` });
      await store.client.command({
        query: `CREATE TABLE ${database}.otel_traces AS ${source}.otel_traces ENGINE = MergeTree ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))`,
      });
      const warnings: string[] = [];
      diag.setLogger(
        { ...silent, warn: (message: string) => void warnings.push(message) },
        DiagLogLevel.WARN,
      );
      try {
        const exporter = new ClickHouseSpanExporter({ store, database });
        await exportSpans(exporter, await makeSpans(2));
        await exporter.forceFlush();
        await exportSpans(exporter, await makeSpans(2));
        await exporter.shutdown();
        expect(exporter.stats.storedSpans).toBe(4);
      } finally {
        diag.disable();
      }
      expect(
        warnings.filter((w) => w.includes('non_replicated_deduplication_window')),
      ).toHaveLength(1);
    });
  });

  describe('self-tracing', () => {
    it('suppresses tracing around its store I/O', async () => {
      const database = await createTracesDatabase(store.client);
      const clientSpans = new InMemorySpanExporter();
      const clientTracing = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(clientSpans)],
      });
      // A client that traces itself, as an instrumented application's would.
      const tracedClient = createClient({
        connection: createChdbConnection({ path: storePath }) as never,
        tracer: clientTracing.getTracer('clickhouse-client'),
      });
      const tracedStore: Store = {
        ...store,
        client: tracedClient,
        close: () => tracedClient.close(),
      };
      context.setGlobalContextManager(new AlsContextManager());
      try {
        await tracedClient.query({ query: 'SELECT 1' });
        expect(clientSpans.getFinishedSpans()).toHaveLength(1);
        clientSpans.reset();

        const exporter = new ClickHouseSpanExporter({ store: tracedStore, database });
        await exportSpans(exporter, await makeSpans(3));
        await exporter.shutdown();
        expect(exporter.stats.storedSpans).toBe(3);
        expect(clientSpans.getFinishedSpans()).toEqual([]);
      } finally {
        context.disable();
        await tracedClient.close();
      }
    });
  });

  describe('.forceFlush', () => {
    it('writes a partly filled batch without waiting for the interval', async () => {
      const database = await createTracesDatabase(store.client);
      // With a spool the call is acknowledged once on disk; the batch waits for the interval.
      const exporter = new ClickHouseSpanExporter({
        store,
        database,
        flushIntervalMs: 60_000,
        spoolDir: tempDir('flush-spool'),
      });
      await exportSpans(exporter, await makeSpans(7));
      expect(await countSpans(store.client, database)).toEqual({ rows: 0, distinct: 0 });
      await exporter.forceFlush();
      expect(await countSpans(store.client, database)).toEqual({ rows: 7, distinct: 7 });
      await exporter.shutdown();
    });

    it('resolves at once with nothing queued', async () => {
      const exporter = new ClickHouseSpanExporter({ store });
      await expect(exporter.forceFlush()).resolves.toBeUndefined();
      await exporter.shutdown();
    });
  });

  describe('.shutdown', () => {
    it('flushes, is idempotent, and makes export fail fast', async () => {
      const database = await createTracesDatabase(store.client);
      const exporter = new ClickHouseSpanExporter({ store, database, flushIntervalMs: 60_000 });
      await exportSpans(exporter, await makeSpans(5));
      const first = exporter.shutdown();
      expect(exporter.shutdown()).toBe(first);
      await first;
      await exporter.shutdown();
      expect(await countSpans(store.client, database)).toEqual({ rows: 5, distinct: 5 });
      const after = await exportSpans(exporter, await makeSpans(1));
      expect(after.code).toBe(ExportResultCode.FAILED);
      expect(after.error).toBeInstanceOf(ExporterShutDownError);
      expect(exporter.stats.acceptedSpans).toBe(5);
    });

    it('leaves a store it was given open', async () => {
      const exporter = new ClickHouseSpanExporter({ store });
      await exporter.shutdown();
      await expect(store.client.ping()).resolves.toMatchObject({ success: true });
    });
  });

  describe('options', () => {
    it.each([
      [{ maxQueueSize: -1 }, 'maxQueueSize', 'maxQueueSize must be a positive integer (got -1)'],
      [{ maxBatchSize: 1.5 }, 'maxBatchSize', 'maxBatchSize must be a positive integer (got 1.5)'],
      [
        { flushIntervalMs: '5' },
        'flushIntervalMs',
        'flushIntervalMs must be a positive integer (got "5")',
      ],
      [{ url: 'ftp://x' }, 'url', 'url must be an http(s) URL (got "ftp://x")'],
      [
        { database: 'a-b' },
        'database',
        'database must be a plain identifier (letters, digits, _) (got "a-b")',
      ],
      [
        { maxQueueSize: 10, maxBatchSize: 20 },
        'maxBatchSize',
        'maxBatchSize must be at most maxQueueSize (10) (got 20)',
      ],
      [{ maxQueSize: 10 }, 'maxQueSize', 'maxQueSize is not a known option (got 10)'],
    ])('rejects %j naming field, expectation and value', (options, field, message) => {
      const error = invalid(options);
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.field).toBe(field);
      expect(error.message).toBe(message);
    });
  });
});
