/**
 * The two pipelines of the sdk-overhead bench: the same `BatchSpanProcessor`
 * into a no-op exporter, bare or wrapped in the `AllowlistSpanProcessor`,
 * and the two sides' `runs(n)` over them. The exporter can keep what it got,
 * so the bench can compare what each side exports.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '../src/index.js';
import { AGENT_OPTIONS, bareRun, oursRun } from './workload.js';

/** Counts what it is given; keeps the spans only when asked to. */
export class NoopExporter implements SpanExporter {
  exported = 0;
  kept: ReadableSpan[] | undefined;
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.exported += spans.length;
    this.kept?.push(...spans);
    cb({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The sides: bare OTel, agenttrace, and agenttrace's API without the allowlist (to split the cost). */
export type SideName = 'bare' | 'agenttrace' | 'agenttrace-api';
/** Every side name. */
export const SIDE_NAMES: readonly SideName[] = ['bare', 'agenttrace', 'agenttrace-api'];

/** One side of the bench. */
export interface Side {
  readonly name: SideName;
  readonly exporter: NoopExporter;
  readonly provider: BasicTracerProvider;
  /** Makes `n` runs, synchronously. */
  runs(n: number): void;
}

function provider(wrap: boolean, exporter: NoopExporter): BasicTracerProvider {
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize: 1_000_000,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 50,
  });
  return new BasicTracerProvider({
    spanProcessors: [wrap ? new AllowlistSpanProcessor(batch) : batch],
  });
}

/** Installs the context manager an agent would run with (async context, as in Node apps). */
export function installContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** The bare OTel side. */
export function bareSide(): Side {
  const exporter = new NoopExporter();
  const p = provider(false, exporter);
  const tracer = p.getTracer('bench');
  return {
    name: 'bare',
    exporter,
    provider: p,
    runs(n) {
      for (let i = 0; i < n; i++) bareRun(tracer);
    },
  };
}

/** The agenttrace side: the run/step API and the allowlist (without it when `allowlist` is false). */
export function oursSide(allowlist = true): Side {
  const exporter = new NoopExporter();
  const p = provider(allowlist, exporter);
  const tracer = new AgentTracer({ ...AGENT_OPTIONS, tracerProvider: p });
  return {
    name: allowlist ? 'agenttrace' : 'agenttrace-api',
    exporter,
    provider: p,
    runs(n) {
      for (let i = 0; i < n; i++) oursRun(tracer);
    },
  };
}
