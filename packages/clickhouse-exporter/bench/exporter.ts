/**
 * Throughput of `ClickHouseSpanExporter` into the embedded engine (chDB)
 * against a raw `JSONEachRow` insert of the same rows, in the same run,
 * rounds interleaved (and their order alternated) so both see the same
 * machine state. Prints one JSON line: `{"bench":"exporter", ...}`.
 *
 *   npx tsx packages/clickhouse-exporter/bench/exporter.ts
 *
 * Environment: BENCH_ROUNDS (default 10), BENCH_SPANS (spans per round, default 20000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { migrate } from '../src/migrate.js';
import { spanToRow, type TraceRow } from '../src/row.js';
import { createStore, type Store } from '../src/store.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const SPANS = Number(process.env['BENCH_SPANS'] ?? 20_000);
/** Same batch size on both sides; the exporter's default. */
const BATCH = 5_000;
/** What a BatchSpanProcessor hands an exporter per call by default. */
const EXPORT_CALL = 512;

async function makeSpans(count: number, round: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-agent', 'service.version': '1.0.0' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('agenttrace-bench', '0.1.0');
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`chat step-${i % 12}`, {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 100 + (i % 900),
        'gen_ai.usage.output_tokens': 10 + (i % 90),
        'agenttrace.run.id': `run-${round}-${Math.floor(i / 20)}`,
        'agenttrace.step.type': 'model',
      },
    });
    if (i % 10 === 0) span.addEvent('retry', { attempt: 1 });
    span.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

async function timeExporter(
  exporter: ClickHouseSpanExporter,
  spans: ReadableSpan[],
): Promise<number> {
  const storedBefore = exporter.stats.storedSpans;
  const started = performance.now();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < spans.length; i += EXPORT_CALL) {
    calls.push(
      new Promise((resolve, reject) =>
        exporter.export(spans.slice(i, i + EXPORT_CALL), (result) =>
          result.code === ExportResultCode.SUCCESS
            ? resolve()
            : reject(result.error ?? new Error('export failed')),
        ),
      ),
    );
  }
  await Promise.all(calls);
  await exporter.forceFlush();
  const elapsed = performance.now() - started;
  if (exporter.stats.storedSpans - storedBefore !== spans.length)
    throw new Error('exporter lost spans');
  return elapsed;
}

async function timeRaw(store: Store, database: string, rows: TraceRow[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    await store.client.insert({
      table: `${database}.otel_traces`,
      values: rows.slice(i, i + BATCH),
      format: 'JSONEachRow',
    });
  }
  return performance.now() - started;
}

async function count(store: Store, database: string): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${database}.otel_traces`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  return Number(row?.n ?? 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agenttrace-bench-'));
  const store = createStore({ path: dir });
  try {
    // Separate databases: same DDL, and neither side's data can deduplicate the other's.
    for (const database of ['bench_exporter', 'bench_raw']) {
      await migrate(store.client, { database });
      await store.client.command({
        query: `ALTER TABLE ${database}.otel_traces MODIFY SETTING non_replicated_deduplication_window = 1000`,
      });
    }
    // One long-lived exporter, as in an application.
    const exporter = new ClickHouseSpanExporter({
      store,
      database: 'bench_exporter',
      maxBatchSize: BATCH,
      maxQueueSize: SPANS,
      flushIntervalMs: 1_000,
    });
    // Warm-up round, not measured.
    const warm = await makeSpans(BATCH, -1);
    await timeExporter(exporter, warm);
    await timeRaw(store, 'bench_raw', warm.map(spanToRow));

    const exporterMs: number[] = [];
    const rawMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Fresh spans each round (new ids), mapped once for the raw side.
      const spans = await makeSpans(SPANS, round);
      const rows = spans.map(spanToRow);
      if (round % 2 === 0) {
        exporterMs.push(await timeExporter(exporter, spans));
        rawMs.push(await timeRaw(store, 'bench_raw', rows));
      } else {
        rawMs.push(await timeRaw(store, 'bench_raw', rows));
        exporterMs.push(await timeExporter(exporter, spans));
      }
    }
    await exporter.shutdown();
    const expected = ROUNDS * SPANS + BATCH;
    const stored = {
      exporter: await count(store, 'bench_exporter'),
      raw: await count(store, 'bench_raw'),
    };
    if (stored.exporter !== expected || stored.raw !== expected) {
      throw new Error(`row counts differ from ${expected}: ${JSON.stringify(stored)}`);
    }
    const total = (values: number[]) => values.reduce((sum, v) => sum + v, 0);
    const exporterRate = (ROUNDS * SPANS) / (total(exporterMs) / 1000);
    const rawRate = (ROUNDS * SPANS) / (total(rawMs) / 1000);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'exporter',
        engine: 'chdb',
        rounds: ROUNDS,
        spansPerRound: SPANS,
        batchSize: BATCH,
        exporterSpansPerSec: Math.round(exporterRate),
        rawSpansPerSec: Math.round(rawRate),
        ratio: Number((exporterRate / rawRate).toFixed(3)),
        // Each round's raw time over its exporter time; the median resists noise from other processes.
        medianRoundRatio: Number(
          median(rawMs.map((raw, i) => raw / (exporterMs[i] ?? raw))).toFixed(3),
        ),
        medianRoundMs: { exporter: Math.round(median(exporterMs)), raw: Math.round(median(rawMs)) },
      })}\n`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
