/**
 * The bounded queue between the HTTP side and the exporter. Spans wait here
 * until a batch is full or `exportDelayMs` passed, then go to the exporter
 * one batch at a time. A failed batch stays counted in the queue while it is
 * retried with backoff, so a failing exporter turns into 429s at the door
 * rather than into unbounded memory.
 */
import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CollectorLogger } from './logger.js';
import type { CollectorMetrics } from './metrics.js';

/** First retry delay; doubled per attempt up to {@link RETRY_MAX_DELAY_MS}. */
const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 5_000;
/** Each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER]. */
const RETRY_JITTER = 0.2;

/** Settings of {@link ExportQueue}, from the resolved collector options. */
export interface ExportQueueSettings {
  readonly exporter: SpanExporter;
  readonly maxExportBatchSize: number;
  readonly exportDelayMs: number;
  readonly exportTimeoutMs: number;
  readonly maxExportAttempts: number;
  readonly logger: CollectorLogger;
  readonly metrics: CollectorMetrics;
}

/** Batches spans to the exporter, one export at a time, retrying failures. */
export class ExportQueue {
  private pending: ReadableSpan[] = [];
  private inFlight = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly s: ExportQueueSettings) {}

  /** Spans queued or being exported. */
  get size(): number {
    return this.pending.length + this.inFlight;
  }

  /** Queues spans; the caller checked capacity. */
  push(spans: readonly ReadableSpan[]): void {
    if (spans.length === 0) return;
    if (this.stopped) {
      this.s.metrics.drop('shutdown', spans.length);
      return;
    }
    for (const span of spans) this.pending.push(span);
    this.schedule();
  }

  /** Resolves once every queued span was exported or dropped. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.exportNext(true);
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retries and drops what is left (counted as `shutdown`). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.s.metrics.drop('shutdown', this.pending.length);
    this.pending = [];
    this.notifyIfIdle();
  }

  private schedule(): void {
    if (this.exporting || this.pending.length === 0) return;
    if (this.pending.length >= this.s.maxExportBatchSize || this.s.exportDelayMs === 0) {
      this.exportNext(false);
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportNext(false);
      }, this.s.exportDelayMs);
      this.timer.unref();
    }
  }

  private exportNext(flushing: boolean): void {
    if (this.exporting || this.pending.length === 0) return this.notifyIfIdle();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.s.maxExportBatchSize);
    this.exporting = true;
    this.inFlight = batch.length;
    this.attempt(batch, 1, flushing);
  }

  private attempt(batch: ReadableSpan[], attempt: number, flushing: boolean): void {
    const started = performance.now();
    void this.exportOnce(batch).then((result) => {
      this.s.metrics.observeExport((performance.now() - started) / 1000);
      if (result.code === ExportResultCode.SUCCESS) {
        this.s.metrics.exported += batch.length;
        return this.done(flushing);
      }
      if (this.stopped || attempt >= this.s.maxExportAttempts) {
        this.s.metrics.drop(this.stopped ? 'shutdown' : 'export_failed', batch.length);
        this.s.logger.error('export failed, batch dropped', {
          spans: batch.length,
          attempts: attempt,
          error: result.error?.name,
        });
        return this.done(flushing);
      }
      const delay = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
      const jittered = delay * (1 - RETRY_JITTER + Math.random() * 2 * RETRY_JITTER);
      this.s.logger.warn('export failed, retrying', {
        spans: batch.length,
        attempt,
        delayMs: Math.round(jittered),
      });
      setTimeout(() => this.attempt(batch, attempt + 1, flushing), jittered).unref();
    });
  }

  private done(flushing: boolean): void {
    this.exporting = false;
    this.inFlight = 0;
    if (flushing && this.pending.length > 0) this.exportNext(true);
    else this.schedule();
    this.notifyIfIdle();
  }

  /** One `export` call: never rejects; a throw or a timeout counts as failure. */
  private exportOnce(batch: ReadableSpan[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      let settled = false;
      const settle = (r: ExportResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        resolve(r);
      };
      const timeout = setTimeout(
        () => settle({ code: ExportResultCode.FAILED, error: new Error('export timed out') }),
        this.s.exportTimeoutMs,
      );
      try {
        context.with(suppressTracing(context.active()), () =>
          this.s.exporter.export(batch, settle),
        );
      } catch (err) {
        settle({
          code: ExportResultCode.FAILED,
          error: err instanceof Error ? err : new Error('export threw'),
        });
      }
    });
  }

  private notifyIfIdle(): void {
    if (this.size > 0 || this.exporting) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
