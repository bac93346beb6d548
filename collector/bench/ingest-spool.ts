/**
 * What durability costs: end-to-end ingest through the collector service on
 * the embedded store with the write-ahead spool on (the default), beside the
 * same service with the spool off (acknowledging from memory), beside the
 * ClickHouse exporter alone, all in one run, each in its own child process
 * (chDB binds one directory per process) on its own temp store. The modes
 * run twice, in the order ABC CBA, and each figure is the mean of its two.
 *
 *   npx tsx collector/bench/ingest-spool.ts
 *
 * End to end: 512-span requests, encoded once by the official OTLP protobuf
 * serializer (`raw-otlp-client.ts`), 8 in flight, for BENCH_PHASE_S seconds (default 20);
 * spans/s counts acknowledged spans; then the service is closed and the
 * stored rows are counted. Exporter alone: the same spans, already filtered
 * by the allowlist, exported in 512-span calls for as long, then flushed;
 * spans/s counts stored spans. With the spool on, a second phase paces at
 * half the measured rate for request latency.
 *
 * Prints one JSON line: {"bench":"collector-ingest", ...}.
 */
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AllowlistSpanProcessor } from '@agenttrace/sdk';
import { ClickHouseSpanExporter, createStore, migrate } from '@agenttrace/clickhouse-exporter';
import { startCollectorService } from '../src/service.js';
import { makeBenchSpans } from './bench-spans.js';
import { rawOtlpClient } from './raw-otlp-client.js';

const BATCH = 512;
const IN_FLIGHT = 8;
const WARMUP_S = 3;
/** Exporter-alone calls wait while the exporter holds more than this in memory. */
const EXPORTER_BACKLOG = 30_000;

type Mode = 'spool' | 'nospool' | 'exporter';

interface ModeResult {
  mode: Mode;
  spansPerSecond: number;
  acknowledged?: number;
  stored: number;
  refused?: number;
  halfLoad?: { requests: number; p50Ms: number; p99Ms: number; maxMs: number; failed: number };
  rssMbMax: number;
}

function exportOnce(exporter: SpanExporter, batch: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function countRows(path: string): Promise<number> {
  const store = createStore({ path });
  try {
    const rs = await store.client.query({
      query: 'SELECT count() AS n FROM otel_traces',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string }>();
    return Number(row?.n ?? 0);
  } finally {
    await store.close();
  }
}

/** Saturates `exporter` with `IN_FLIGHT` loops for `seconds`; returns successful and failed calls. */
async function saturate(exporter: SpanExporter, batch: ReadableSpan[], seconds: number) {
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < until) {
        const r = await exportOnce(exporter, batch);
        if (r.code === ExportResultCode.SUCCESS) ok++;
        else {
          failed++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );
  return { ok, failed };
}

async function endToEnd(mode: 'spool' | 'nospool', seconds: number): Promise<ModeResult> {
  const path = join(mkdtempSync(join(tmpdir(), `agenttrace-bench-${mode}-`)), 'store');
  const service = await startCollectorService({
    store: { path },
    port: 0,
    spool: mode === 'spool' ? {} : false,
  });
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 500);
  const batch = makeBenchSpans(BATCH);
  const client = rawOtlpClient(`http://127.0.0.1:${service.address.port}/v1/traces`, batch);
  await saturate(client, batch, WARMUP_S);
  const t0 = performance.now();
  const { ok, failed } = await saturate(client, batch, seconds);
  const spansPerSecond = (ok * BATCH) / ((performance.now() - t0) / 1000);
  let halfLoad: ModeResult['halfLoad'];
  if (mode === 'spool') {
    const interval = (BATCH / (spansPerSecond / 2)) * 1000;
    const latencies: number[] = [];
    let lost = 0;
    const pending = new Set<Promise<void>>();
    const until = performance.now() + seconds * 1000;
    for (let next = performance.now(); next < until; next += interval) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (pending.size >= 48) await Promise.race(pending);
      const start = performance.now();
      const p: Promise<void> = exportOnce(client, batch).then((r) => {
        if (r.code === ExportResultCode.SUCCESS) latencies.push(performance.now() - start);
        else lost++;
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await Promise.all(pending);
    latencies.sort((a, b) => a - b);
    halfLoad = {
      requests: latencies.length,
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
      p99Ms: Number(percentile(latencies, 99).toFixed(2)),
      maxMs: Number((latencies.at(-1) ?? NaN).toFixed(2)),
      failed: lost,
    };
  }
  clearInterval(sampler);
  await client.shutdown();
  const acknowledged = service.collector.metrics.exported;
  await service.close();
  return {
    mode,
    spansPerSecond: Math.round(spansPerSecond),
    acknowledged,
    stored: await countRows(path),
    refused: failed * BATCH,
    halfLoad,
    rssMbMax: Math.round(rssMax / 1048576),
  };
}

async function exporterAlone(seconds: number): Promise<ModeResult> {
  const store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-bench-exporter-')) });
  await migrate(store.client);
  const exporter = new ClickHouseSpanExporter({ store });
  // The spans as the collector hands them over: filtered by the allowlist.
  const filtered: ReadableSpan[] = [];
  const sink: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => void filtered.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const allowlist = new AllowlistSpanProcessor(sink);
  for (const span of makeBenchSpans(BATCH)) allowlist.onEnd(span);
  let rssMax = 0;
  const run = async (s: number) => {
    const until = performance.now() + s * 1000;
    while (performance.now() < until) {
      while (exporter.stats.queuedSpans > EXPORTER_BACKLOG)
        await new Promise((r) => setTimeout(r, 2));
      await exportOnce(exporter, filtered);
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    await exporter.forceFlush();
  };
  await run(WARMUP_S);
  const before = exporter.stats.storedSpans;
  const t0 = performance.now();
  await run(seconds);
  const stored = exporter.stats.storedSpans - before;
  const spansPerSecond = stored / ((performance.now() - t0) / 1000);
  await exporter.shutdown();
  await store.close();
  return {
    mode: 'exporter',
    spansPerSecond: Math.round(spansPerSecond),
    stored,
    rssMbMax: Math.round(rssMax / 1048576),
  };
}

function inChild(mode: Mode): Promise<ModeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', mode], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as ModeResult));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${mode} bench exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_PHASE_S ?? 20);
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const mode = args[1] as Mode;
    const result =
      mode === 'exporter' ? await exporterAlone(seconds) : await endToEnd(mode, seconds);
    process.send?.(result, () => process.exit(0));
    return;
  }
  // ABC then CBA: drift in the machine's load weighs on every mode alike.
  const order: Mode[] = ['exporter', 'nospool', 'spool', 'spool', 'nospool', 'exporter'];
  const runs: ModeResult[] = [];
  for (const mode of order) runs.push(await inChild(mode));
  const of = (mode: Mode) => runs.filter((r) => r.mode === mode);
  const mean = (mode: Mode) =>
    Math.round(of(mode).reduce((n, r) => n + r.spansPerSecond, 0) / of(mode).length);
  const exporter = mean('exporter');
  const nospool = mean('nospool');
  const spool = mean('spool');
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  const result = {
    bench: 'collector-ingest',
    client: 'raw-otlp-client (ProtobufTraceSerializer, encoded once)',
    phaseS: seconds,
    batchSize: BATCH,
    inFlight: IN_FLIGHT,
    order,
    spansPerSecond: spool,
    exporterAloneSpansPerSecond: exporter,
    spoolOffSpansPerSecond: nospool,
    spoolOnVsOff: ratio(spool, nospool),
    spoolOnVsExporterAlone: ratio(spool, exporter),
    spoolOffVsExporterAlone: ratio(nospool, exporter),
    runs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
