/**
 * What happens to decoded spans: each goes through the SDK's
 * `AllowlistSpanProcessor` (defense in depth: spans from other SDKs arrive
 * unfiltered; with a session key it also replaces session and user ids by
 * their pseudonyms, and keeps a pseudonym made upstream with the same key), then, when tail sampling is on, through the sampler, then
 * into the bounded export queue. Admission is decided before any of it, for
 * the whole request, so an accepted request is never partly dropped, and a
 * request is acknowledged only once the exporter called back for it.
 *
 * With tail sampling on and a tail spool (`tailSampling.spoolDir`), a
 * request is acknowledged once its spans are fsynced there; kept spans then
 * go to the exporter, and the spool forgets them once it called back
 * (retried with backoff until then). On start the spool is replayed into the
 * sampler. Without a tail spool, spans waiting for a decision are
 * acknowledged from memory (a crash loses them). Tail sampling is off by default.
 */
import { AllowlistSpanProcessor, type AllowlistStats } from '@agenttrace/sdk';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ExportQueue } from './export-queue.js';
import type { CollectorMetrics } from './metrics.js';
import type { ResolvedCollectorOptions } from './options.js';
import { isFailure, TailSampler } from './tail-sampler.js';
import { TailSpool } from './tail-spool.js';

const keyOf = (span: ReadableSpan) => {
  const c = span.spanContext();
  return `${c.traceId}:${c.spanId}`;
};

/** First retry delay of kept spans the exporter refused; doubled up to {@link KEPT_RETRY_MAX_MS}. */
const KEPT_RETRY_BASE_MS = 100;
const KEPT_RETRY_MAX_MS = 5_000;
/** Each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER]. */
const KEPT_RETRY_JITTER = 0.2;

/**
 * The allowlist's delegate: it only collects the filtered copies into the
 * array the pipeline points it at while it feeds one request's spans.
 */
class CollectingProcessor implements SpanProcessor {
  target: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.target.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Allowlist → optional tail sampler → export queue. */
export class Pipeline {
  private readonly sink = new CollectingProcessor();
  private readonly allowlist: AllowlistSpanProcessor;
  private readonly queue: ExportQueue;
  private readonly sampler: TailSampler | undefined;
  private readonly tailSpool: TailSpool | undefined;
  /** Exports of kept spans under way (with a tail spool). */
  private readonly keptExports = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly o: ResolvedCollectorOptions,
    private readonly metrics: CollectorMetrics,
  ) {
    this.allowlist = new AllowlistSpanProcessor(this.sink, {
      policy: o.policy,
      sessionKey: o.pseudonymizer,
      pseudonymizeUserId: o.pseudonymizeUserId,
    });
    this.queue = new ExportQueue({ ...o, metrics });
    const tail = o.tailSampling;
    this.tailSpool =
      tail?.spoolDir === undefined
        ? undefined
        : new TailSpool(tail.spoolDir, tail.maxSpoolBytes, tail.decisionWaitMs);
    const spool = this.tailSpool;
    this.sampler = tail
      ? new TailSampler(
          tail,
          (spans) => (spool ? this.exportKept(spans) : this.queue.pushBackground(spans)),
          metrics,
          spool
            ? {
                decided: (traceId, keep) => spool.decided(traceId, keep),
                discarded: (spans) => spool.release(spans),
              }
            : {},
        )
      : undefined;
    if (spool && this.sampler) this.replay(spool, this.sampler);
  }

  /**
   * Undecided spans re-enter the sampler. Spans of decided traces: dropped
   * ones are forgotten; kept ones may have reached the exporter just before
   * the crash, so those the store already has are forgotten too, the rest
   * exported (a kept span is exported only once its decision is on disk).
   */
  private replay(spool: TailSpool, sampler: TailSampler): void {
    const { spans, decisions } = spool.replay();
    for (const [traceId, keep] of decisions) sampler.seed(traceId, keep);
    const undecided: ReadableSpan[] = [];
    const kept: ReadableSpan[] = [];
    const dropped: ReadableSpan[] = [];
    for (const span of spans) {
      const keep = decisions.get(span.spanContext().traceId);
      if (keep === undefined) undecided.push(span);
      else if (keep || isFailure(span)) kept.push(span);
      else dropped.push(span);
    }
    if (spans.length > 0)
      this.o.logger.info('tail spool replayed', {
        undecided: undecided.length,
        kept: kept.length,
        dropped: dropped.length,
      });
    spool.release(dropped);
    if (undecided.length > 0) sampler.add(undecided);
    if (kept.length === 0) return;
    const check = this.o.storedSpans;
    const run = (async () => {
      let stored: ReadonlySet<string> = new Set();
      try {
        if (check) stored = await check(kept.map(keyOf));
      } catch (err) {
        // Unknown: exporting again may store a span twice, never loses one.
        this.o.logger.warn('tail spool: could not ask the store which kept spans it has', {
          error: (err as Error)?.name,
        });
      }
      const have = kept.filter((s) => stored.has(keyOf(s)));
      if (have.length > 0) await spool.exported(have).catch(() => undefined);
      this.exportKept(kept.filter((s) => !stored.has(keyOf(s))));
    })();
    this.keptExports.add(run);
    void run.finally(() => this.keptExports.delete(run));
  }

  /** Spans in the tail spool, in bytes (0 without one). */
  get tailSpoolBytes(): number {
    return this.tailSpool?.size ?? 0;
  }

  /** Kept spans from the tail spool: exported until the exporter takes them, then forgotten. */
  private exportKept(spans: readonly ReadableSpan[]): void {
    if (spans.length === 0) return;
    const spool = this.tailSpool as TailSpool;
    const run = (async () => {
      // Its decision durable first: a replay must know the exporter may have it.
      await spool.sync();
      for (let attempt = 0; !this.stopped; attempt++) {
        const result = await this.queue.push(spans);
        if (result.code === ExportResultCode.SUCCESS) {
          await spool.exported(spans).catch(() => undefined);
          return;
        }
        // Still on disk: retried here, and replayed by the next start if never taken.
        const delay = Math.min(KEPT_RETRY_MAX_MS, KEPT_RETRY_BASE_MS * 2 ** attempt);
        const jittered = delay * (1 - KEPT_RETRY_JITTER + Math.random() * 2 * KEPT_RETRY_JITTER);
        await new Promise((resolve) => setTimeout(resolve, jittered).unref());
      }
    })();
    this.keptExports.add(run);
    void run.finally(() => this.keptExports.delete(run));
  }

  /** Spans held: queued, being exported, or waiting for a sampling decision. */
  get size(): number {
    return this.queue.size + (this.sampler?.size ?? 0);
  }

  /** Spans waiting for a tail-sampling decision. */
  get buffered(): number {
    return this.sampler?.size ?? 0;
  }

  /** Spans the exporter reports it still holds (0 if it cannot say). */
  downstream(): number {
    try {
      const n = this.o.downstreamBacklog();
      return Number.isFinite(n) && n > 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  /** True when `n` more spans fit under `maxQueueSpans`, the exporter's backlog included. */
  hasRoom(n: number): boolean {
    return this.size + this.downstream() + n <= this.o.maxQueueSpans;
  }

  /**
   * Filters and enqueues `spans`; resolves with the exporter's result for
   * them (SUCCESS: acknowledge). The caller checked {@link hasRoom}.
   */
  async accept(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    const filtered: ReadableSpan[] = [];
    this.sink.target = filtered;
    for (const span of spans) this.allowlist.onEnd(span);
    this.sink.target = [];
    if (this.sampler) {
      const sampler = this.sampler;
      if (this.tailSpool) {
        try {
          await this.tailSpool.write(filtered, (traceId) => sampler.decisionOf(traceId));
        } catch (err) {
          const error = err instanceof Error ? err : new Error('tail spool write failed');
          return { code: ExportResultCode.FAILED, error };
        }
      }
      this.metrics.accepted += spans.length;
      this.sampler.add(filtered);
      return { code: ExportResultCode.SUCCESS };
    }
    const result = await this.queue.push(filtered);
    if (result.code === ExportResultCode.SUCCESS) this.metrics.accepted += spans.length;
    return result;
  }

  /** The allowlist's counts (key names only). */
  allowlistStats(): AllowlistStats {
    return this.allowlist.stats();
  }

  /** Decides every buffered trace now and waits until the queue is empty. */
  async flush(): Promise<void> {
    this.sampler?.decideAll();
    while (this.keptExports.size > 0) await Promise.all([...this.keptExports]);
    await this.queue.flush();
  }

  /** Flushes within `deadlineMs`, drops what is left, shuts the exporter down. */
  async shutdown(deadlineMs: number): Promise<void> {
    this.sampler?.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
    this.stopped = true;
    this.queue.stop();
    await this.tailSpool?.close();
    await this.allowlist.shutdown();
    await this.o.exporter.shutdown();
  }
}
