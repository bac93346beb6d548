/**
 * The bounded queue between the HTTP side and the exporter. Requests wait
 * here until the exporter is free (or `exportDelayMs` passed), then go to it
 * together, as one `export` call: while one call is on disk, the requests that
 * arrive meanwhile gather for the next (group commit). A request is answered
 * only when the exporter called back for its spans, so a 2xx means they are
 * wherever the exporter promises (the ClickHouse exporter's spool: on disk).
 * A request is never split across calls: it is stored whole or refused whole,
 * and a client's retry after a refusal cannot store half of it twice.
 *
 * Spans with no client waiting (released by the tail sampler) are retried
 * with backoff instead, since nobody could retry them.
 */
import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CollectorError } from './errors.js';
import type { CollectorLogger } from './logger.js';
import type { CollectorMetrics } from './metrics.js';

/** First retry delay of background spans; doubled per attempt up to {@link RETRY_MAX_DELAY_MS}. */
const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 5_000;
/** Each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER]. */
const RETRY_JITTER = 0.2;
/** Failed exports are logged at most this often; metrics count them all. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** The `code` of an exporter's error, for logs. */
function codeOf(error: Error | undefined): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'unknown';
}

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

/** Spans of one request (or one sampler release) and who waits for them. */
interface Entry {
  readonly spans: readonly ReadableSpan[];
  /** Answers the waiting client; undefined for background spans. */
  readonly settle: ((result: ExportResult) => void) | undefined;
  attempts: number;
}

const SHUT_DOWN: ExportResult = {
  code: ExportResultCode.FAILED,
  error: new CollectorError('shutting_down', 'the collector is shutting down'),
};

/** Groups requests into `export` calls, one call at a time. */
export class ExportQueue {
  private pending: Entry[] = [];
  private pendingSpans = 0;
  private inFlight = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private lastFailureLog = Number.NEGATIVE_INFINITY;

  constructor(private readonly s: ExportQueueSettings) {}

  /** Spans queued or being exported. */
  get size(): number {
    return this.pendingSpans + this.inFlight;
  }

  /**
   * Queues one request's spans; resolves with the exporter's result for the
   * call that carried them. Never rejects. The caller checked capacity.
   */
  push(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    if (spans.length === 0) return Promise.resolve({ code: ExportResultCode.SUCCESS });
    if (this.stopped) return Promise.resolve(SHUT_DOWN);
    return new Promise((settle) => this.enqueue({ spans, settle, attempts: 0 }));
  }

  /** Queues spans no client waits for (tail-sampling releases); failures are retried. */
  pushBackground(spans: readonly ReadableSpan[]): void {
    if (spans.length === 0) return;
    if (this.stopped) {
      this.s.metrics.drop('shutdown', spans.length);
      return;
    }
    this.enqueue({ spans, settle: undefined, attempts: 0 });
  }

  /** Resolves once every queued span was exported or refused. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.exportNext();
    await idle;
  }

  /** Stops: waiting clients are refused, background spans dropped (counted as `shutdown`). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.pending.splice(0)) this.refuse(entry, SHUT_DOWN);
    this.pendingSpans = 0;
    this.notifyIfIdle();
  }

  private enqueue(entry: Entry, front = false): void {
    if (front) this.pending.unshift(entry);
    else this.pending.push(entry);
    this.pendingSpans += entry.spans.length;
    this.schedule();
  }

  private schedule(delayMs = this.s.exportDelayMs): void {
    if (this.exporting || this.pending.length === 0 || this.stopped) return;
    if (delayMs === 0 || this.pendingSpans >= this.s.maxExportBatchSize) {
      this.exportNext();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportNext();
      }, delayMs);
      this.timer.unref();
    }
  }

  /** Takes whole entries up to `maxExportBatchSize` spans (at least one entry). */
  private take(): Entry[] {
    const group: Entry[] = [];
    let spans = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as Entry;
      if (group.length > 0 && spans + next.spans.length > this.s.maxExportBatchSize) break;
      group.push(next);
      spans += next.spans.length;
      this.pending.shift();
    }
    this.pendingSpans -= spans;
    this.inFlight = spans;
    return group;
  }

  private exportNext(): void {
    if (this.exporting || this.pending.length === 0) return this.notifyIfIdle();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.take();
    const batch =
      group.length === 1 ? [...(group[0] as Entry).spans] : group.flatMap((e) => e.spans);
    this.exporting = true;
    const started = performance.now();
    void this.exportOnce(batch).then((result) => {
      this.s.metrics.observeExport((performance.now() - started) / 1000);
      if (result.code === ExportResultCode.SUCCESS) {
        this.s.metrics.exported += batch.length;
        for (const entry of group) entry.settle?.(result);
      } else {
        this.logFailure(batch.length, result);
        for (const entry of group) this.refuse(entry, result);
      }
      this.exporting = false;
      this.inFlight = 0;
      this.schedule(0);
      this.notifyIfIdle();
    });
  }

  /** Answers a client with a failure, or retries background spans with backoff. */
  private refuse(entry: Entry, result: ExportResult): void {
    if (entry.settle !== undefined) return entry.settle(result);
    entry.attempts += 1;
    if (this.stopped || entry.attempts >= this.s.maxExportAttempts) {
      this.s.metrics.drop(this.stopped ? 'shutdown' : 'export_failed', entry.spans.length);
      return;
    }
    const delay = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (entry.attempts - 1));
    const jittered = delay * (1 - RETRY_JITTER + Math.random() * 2 * RETRY_JITTER);
    // Counted as queued while it waits, so backpressure holds.
    this.pendingSpans += entry.spans.length;
    setTimeout(() => {
      this.pendingSpans -= entry.spans.length;
      if (this.stopped) {
        this.s.metrics.drop('shutdown', entry.spans.length);
        return this.notifyIfIdle();
      }
      this.enqueue(entry, true);
    }, jittered).unref();
  }

  private logFailure(spans: number, result: ExportResult): void {
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLog = now;
    this.s.logger.error('export failed; its requests were refused', {
      spans,
      error: result.error?.name,
      reason: codeOf(result.error),
    });
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
