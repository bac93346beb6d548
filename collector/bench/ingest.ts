/**
 * End-to-end ingest benchmark: the official `@opentelemetry/exporter-trace-otlp-proto`
 * sends batches of agent spans to a collector running in a child process.
 *
 *   npx tsx collector/bench/ingest.ts [--exporter ./my-exporter.ts]
 *
 * Phase 1 (40% of the run): as fast as it goes, 8 exports in flight → spans/s.
 * Phase 2 (60%): half that rate, paced → p50/p99 latency of one export request.
 * The collector's RSS is sampled every second over both phases.
 * `--exporter` names a module whose default export is a `SpanExporter` or a
 * function returning one; without it spans go to a no-op exporter.
 *
 * Env: BENCH_DURATION_S (default 120), BENCH_BATCH (spans a request, default 512).
 * Prints one JSON line: {"bench":"collector-ingest", ...}.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createCollector } from '../src/index.js';
import { makeBenchSpans } from './bench-spans.js';

const WARMUP_S = 3;
const MAX_IN_FLIGHT = 8;
/** Below the exporter's `concurrencyLimit` (64), so paced sends are never refused client-side. */
const MAX_PACED_IN_FLIGHT = 48;

interface ChildStats {
  rss: number;
  accepted: number;
  exported: number;
}

/** Child side: run the collector and answer stats requests over IPC. */
async function serve(exporterPath: string | undefined): Promise<void> {
  let exporter: SpanExporter = {
    export: (_s, done) => done({ code: ExportResultCode.SUCCESS }),
    shutdown: () => Promise.resolve(),
  };
  if (exporterPath) {
    const mod = (await import(exporterPath)) as {
      default: SpanExporter | (() => SpanExporter | Promise<SpanExporter>);
    };
    exporter = typeof mod.default === 'function' ? await mod.default() : mod.default;
  }
  // an exporter with its own queue (the ClickHouse one) gets backlog-aware 429s, as in the service
  const backlog = (exporter as { stats?: { queuedSpans?: number } }).stats;
  const collector = createCollector({
    exporter,
    maxQueueSpans: backlog ? 40_000 : 65_536,
    maxExportBatchSize: 4_096,
    ...(backlog
      ? {
          downstreamBacklog: () =>
            (exporter as unknown as { stats: { queuedSpans: number } }).stats.queuedSpans,
        }
      : {}),
  });
  const { port } = await collector.listen(0, '127.0.0.1');
  process.on('message', (m: unknown) => {
    if (m === 'stats') {
      const stats: ChildStats = {
        rss: process.memoryUsage().rss,
        accepted: collector.metrics.accepted,
        exported: collector.metrics.exported,
      };
      process.send?.(stats);
    } else if (m === 'stop') {
      void collector.close().then(() => process.exit(0));
    }
  });
  process.send?.({ port });
}

function exportOnce(exporter: SpanExporter, batch: ReadableSpan[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) =>
    exporter.export(batch, (r: ExportResult) =>
      r.code === ExportResultCode.SUCCESS
        ? resolve(performance.now() - start)
        : reject(r.error ?? new Error('export failed')),
    ),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') return serve(args[1]);
  const exporterArg = args[args.indexOf('--exporter') + 1];
  const exporterPath =
    args.includes('--exporter') && exporterArg
      ? new URL(exporterArg, `file://${process.cwd()}/`).href
      : undefined;
  const duration = Number(process.env.BENCH_DURATION_S ?? 120);
  const batchSize = Number(process.env.BENCH_BATCH ?? 512);

  const child: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    ['--serve', ...(exporterPath ? [exporterPath] : [])],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  );
  const stats = () =>
    new Promise<ChildStats>((resolve) => {
      child.once('message', (m) => resolve(m as ChildStats));
      child.send('stats');
    });
  const rss: number[] = [];
  const sampler = setInterval(
    () => void stats().then((s) => rss.push(Math.round(s.rss / 1048576))),
    1000,
  );

  const exporter = new OTLPTraceExporter({
    url: `http://127.0.0.1:${port}/v1/traces`,
    concurrencyLimit: 64,
  });
  const batch = makeBenchSpans(batchSize);

  // Phase 1: saturate.
  const runFor = async (seconds: number) => {
    const until = performance.now() + seconds * 1000;
    let requests = 0;
    await Promise.all(
      Array.from({ length: MAX_IN_FLIGHT }, async () => {
        while (performance.now() < until) {
          await exportOnce(exporter, batch);
          requests++;
        }
      }),
    );
    return requests;
  };
  await runFor(WARMUP_S);
  const maxSeconds = duration * 0.4;
  const t0 = performance.now();
  const maxRequests = await runFor(maxSeconds);
  const spansPerSecond = (maxRequests * batchSize) / ((performance.now() - t0) / 1000);

  // Phase 2: half the load, paced, one latency per request.
  const interval = (batchSize / (spansPerSecond / 2)) * 1000;
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let failed = 0;
  let late = 0;
  const halfUntil = performance.now() + duration * 0.6 * 1000;
  let next = performance.now();
  while (next < halfUntil) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Never past the exporter's concurrency limit: if the collector falls behind, wait (and say so).
    if (pending.size >= MAX_PACED_IN_FLIGHT) {
      late++;
      await Promise.race(pending);
    }
    const p: Promise<void> = exportOnce(exporter, batch).then(
      (ms) => void latencies.push(ms),
      () => void failed++,
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
    next += interval;
  }
  await Promise.all(pending);
  clearInterval(sampler);
  const final = await stats();
  latencies.sort((a, b) => a - b);
  await exporter.shutdown();
  child.send('stop');

  const result = {
    bench: 'collector-ingest',
    http: 'hono+@hono/node-server',
    client: '@opentelemetry/exporter-trace-otlp-proto',
    exporter: exporterPath ?? 'noop',
    durationS: duration,
    batchSize,
    spansPerSecond: Math.round(spansPerSecond),
    requestsPerSecond: Math.round(spansPerSecond / batchSize),
    halfLoad: {
      spansPerSecond: Math.round((latencies.length * batchSize) / (duration * 0.6)),
      requests: latencies.length,
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
      p99Ms: Number(percentile(latencies, 99).toFixed(2)),
      maxMs: Number((latencies.at(-1) ?? NaN).toFixed(2)),
      failed,
      lateSends: late,
    },
    rssMb: { min: Math.min(...rss), max: Math.max(...rss), samples: rss },
    accepted: final.accepted,
    exported: final.exported,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
