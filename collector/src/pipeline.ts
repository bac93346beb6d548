/**
 * What happens to decoded spans: each goes through the SDK's
 * `AllowlistSpanProcessor` (defense in depth: spans from other SDKs arrive
 * unfiltered; with a session key it also replaces session and user ids by
 * their pseudonyms, and keeps a pseudonym made upstream with the same key), then, when tail sampling is on, through the sampler, then
 * into the bounded export queue. Admission is decided before any of it, for
 * the whole request, so an accepted request is never partly dropped, and a
 * request is acknowledged only once the exporter called back for it.
 *
 * Tail sampling trades that promise away: spans waiting for a decision are
 * acknowledged from memory (a crash loses them). It is off by default.
 */
import { AllowlistSpanProcessor, type AllowlistStats } from '@agenttrace/sdk';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ExportQueue } from './export-queue.js';
import type { CollectorMetrics } from './metrics.js';
import type { ResolvedCollectorOptions } from './options.js';
import { TailSampler } from './tail-sampler.js';

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
    this.sampler = o.tailSampling
      ? new TailSampler(o.tailSampling, (spans) => this.queue.pushBackground(spans), metrics)
      : undefined;
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
    this.queue.stop();
    await this.allowlist.shutdown();
    await this.o.exporter.shutdown();
  }
}
