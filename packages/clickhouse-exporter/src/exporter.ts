/**
 * `ClickHouseSpanExporter`: an OpenTelemetry `SpanExporter` writing to the
 * contrib collector's `otel_traces` table, on a ClickHouse server or the
 * embedded chDB engine. Spans are mapped to rows when exported, queued in
 * bounded batches, written by one worker with `JSONEachRow` inserts, retried
 * on transient failures under a stable deduplication token, and optionally
 * spooled to disk first.
 */
import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ExporterShutDownError,
  NotStoredError,
  QueueOverflowError,
  SpoolFullError,
  SpoolWriteError,
} from './errors.js';
import {
  resolveExporterOptions,
  type ClickHouseSpanExporterOptions,
  type ResolvedExporterOptions,
} from './exporter-options.js';
import { newCounters, type ExporterStats } from './exporter-stats.js';
import { BatchWriter } from './exporter-writer.js';
import { BatchQueue, type Batch } from './queue.js';
import { spanToJsonLine } from './row.js';
import { Spool, spoolBytes } from './spool.js';
import { createStore, type Store } from './store.js';

/** Overflow warnings are logged at most this often, however many calls overflow. */
const OVERFLOW_WARNING_INTERVAL_MS = 10_000;

/**
 * Exports spans into ClickHouse. `export` never throws. It calls back
 * SUCCESS only once the spans are durable: on disk in the spool (with
 * `spoolDir`), else in the store. Without a spool, calls that arrive while
 * an insert runs share the next one (group commit), so a caller waits about
 * one insert. `forceFlush` waits for everything queued; `shutdown` flushes
 * and closes, once.
 *
 * @example
 * ```ts
 * const exporter = new ClickHouseSpanExporter({ url: 'http://localhost:8123' });
 * const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
 * ```
 */
export class ClickHouseSpanExporter implements SpanExporter {
  private readonly options: ResolvedExporterOptions;
  private readonly store: Store;
  private readonly ownsStore: boolean;
  private readonly queue: BatchQueue;
  private readonly spool: Spool | undefined;
  private readonly counters = newCounters();
  private readonly writer: BatchWriter;
  private timer: NodeJS.Timeout | undefined;
  /** A caller waits on the open batch (no spool): seal it when the writer is free. */
  private flushWanted = false;
  private lastOverflowWarning = Number.NEGATIVE_INFINITY;
  private shutdownPromise: Promise<void> | undefined;

  /**
   * @throws {InvalidOptionsError} for invalid options.
   * @throws {EmbeddedStoreConflictError} when another embedded directory is open in this process.
   */
  constructor(options: ClickHouseSpanExporterOptions = {}) {
    this.options = resolveExporterOptions(options);
    const { storeOptions } = this.options;
    this.ownsStore = this.options.store === undefined;
    this.spool =
      this.options.spoolDir === undefined
        ? undefined
        : new Spool(this.options.spoolDir, this.options.maxSpoolBytes);
    this.store =
      this.options.store ??
      createStore({
        url: storeOptions.url,
        username: storeOptions.username,
        password: storeOptions.password,
        database: storeOptions.database,
        path: storeOptions.path,
        requestTimeoutMs: storeOptions.requestTimeoutMs,
      });
    this.queue = new BatchQueue(this.options.maxQueueSize, this.options.maxBatchSize);
    this.writer = new BatchWriter({
      client: this.store.client,
      database: this.options.database ?? this.store.database,
      table: this.options.tracesTable,
      queue: this.queue,
      spool: this.spool,
      counters: this.counters,
      maxAttempts: this.options.maxAttempts,
      maxRetryElapsedMs: this.options.maxRetryElapsedMs,
      deferredRetryMs: this.options.deferredRetryMs,
      deadLetterDir: this.options.deadLetterDir,
      maxDeadLetterBytes: this.options.maxDeadLetterBytes,
      beforeIdle: () => this.sealWanted(),
    });
    for (const leftover of this.spool?.leftovers() ?? []) {
      this.queue.addReplayed(leftover.token, leftover.file);
    }
    if (this.queue.next() !== undefined) this.writer.kick();
  }

  /** What the exporter did so far; a fresh snapshot on every read. */
  get stats(): ExporterStats {
    return { ...this.counters, queuedSpans: this.queue.size };
  }

  /** Queues `spans`; calls back SUCCESS, or FAILED if shut down or some spans were dropped. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.shutdownPromise !== undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: new ExporterShutDownError() });
      return;
    }
    let lines: string[];
    try {
      lines = spans.map(spanToJsonLine);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: asError(error) });
      return;
    }
    const spool = this.spool;
    // With a spool, room on disk is reserved first: a full spool refuses the whole call.
    const bytes = spool === undefined ? 0 : spoolBytes(lines);
    if (spool !== undefined && !spool.reserve(bytes)) {
      this.counters.droppedSpans += lines.length;
      resultCallback({
        code: ExportResultCode.FAILED,
        error: this.warn(new SpoolFullError(lines.length, spool.maxBytes)),
      });
      return;
    }
    const offered = this.queue.offer(lines);
    this.counters.acceptedSpans += offered.accepted;
    if (offered.dropped > 0) {
      spool?.release(bytes);
      resultCallback({ code: ExportResultCode.FAILED, error: this.overflow(offered.dropped) });
      return;
    }
    this.armTimer();
    if (spool === undefined) {
      // Success only once every row is in the store.
      const outcomes = offered.parts.map((part) => this.writer.settled(part.batch));
      this.flushWanted = true;
      if (!this.writer.busy) this.sealWanted();
      if (offered.sealed.length > 0) this.writer.kick();
      void Promise.all(outcomes).then((all) => {
        const stored = all.every((o) => o.stored);
        resultCallback(
          stored
            ? { code: ExportResultCode.SUCCESS }
            : { code: ExportResultCode.FAILED, error: new NotStoredError(lines.length) },
        );
      });
      return;
    }
    // Success only once every row is on disk (group-committed with other calls).
    const writes = offered.parts.map((part) => spool.append(part.batch.token, part.lines));
    for (const batch of offered.sealed) this.closeSpoolFile(batch);
    if (offered.sealed.length > 0) this.writer.kick();
    Promise.all(writes).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => {
        this.counters.spoolErrors += 1;
        diag.error('ClickHouseSpanExporter: spool write failed; export call failed', error);
        resultCallback({ code: ExportResultCode.FAILED, error: new SpoolWriteError(error) });
      },
    );
  }

  /** Writes the partly filled batch and waits until every queued batch is stored or given up. */
  async forceFlush(): Promise<void> {
    this.sealOpen();
    const last = this.queue.lastSealed();
    if (last === undefined) return;
    await this.writer.settled(last);
  }

  /** Flushes, then releases the store and the spool. Idempotent; `export` fails afterwards. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.close();
    return this.shutdownPromise;
  }

  private async close(): Promise<void> {
    await this.forceFlush();
    this.writer.stop();
    clearTimeout(this.timer);
    await this.spool?.close();
    if (this.ownsStore) await this.store.close();
  }

  private overflow(dropped: number): QueueOverflowError {
    this.counters.droppedSpans += dropped;
    return this.warn(new QueueOverflowError(dropped, this.options.maxQueueSize));
  }

  /** Logs a refusal at most once per interval, with the running total. */
  private warn<E extends Error>(error: E): E {
    const now = Date.now();
    if (now - this.lastOverflowWarning >= OVERFLOW_WARNING_INTERVAL_MS) {
      this.lastOverflowWarning = now;
      diag.warn(
        `ClickHouseSpanExporter: ${error.message}; ${this.counters.droppedSpans} refused in total`,
      );
    }
    return error;
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.queue.openBatch === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sealOpen();
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Seals the open batch if a caller waits on it; true if one was sealed. */
  private sealWanted(): boolean {
    if (!this.flushWanted) return false;
    this.flushWanted = false;
    const batch = this.queue.sealOpen();
    if (batch === undefined) return false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writer.kick();
    return true;
  }

  private sealOpen(): void {
    const batch = this.queue.sealOpen();
    if (batch === undefined) return;
    this.closeSpoolFile(batch);
    this.writer.kick();
  }

  /** Closes a sealed batch's spool file in the background; the writer awaits it too. */
  private closeSpoolFile(batch: Batch): void {
    this.spool?.seal(batch.token).catch((error: unknown) => {
      this.counters.spoolErrors += 1;
      diag.warn(`ClickHouseSpanExporter: could not close spool file of ${batch.token}`, error);
    });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
