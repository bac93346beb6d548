/**
 * Tail sampling: every span of a failed run is kept, successful runs are
 * kept at `successRate`, decided by a hash of the trace id so that every
 * collector replica decides the same.
 *
 * Spans of a trace are held until its run span (the root, without parent)
 * arrives, or `decisionWaitMs` after the trace's first span, or when more
 * than `maxBufferedSpans` are held (oldest trace first). Memory is bounded by
 * `maxBufferedSpans` filtered spans plus {@link MAX_DECISIONS} remembered
 * decisions (for spans arriving after their run span).
 *
 * {@link TailSamplerHooks} tell the tail spool about each decision and each
 * discarded span, so it can replay exactly the undecided and kept spans.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { conventions as C } from '@agenttrace/sdk';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { CollectorMetrics } from './metrics.js';
import type { ResolvedTailSampling } from './options.js';

/** Decisions remembered for late spans; the oldest is forgotten past this. */
export const MAX_DECISIONS = 100_000;

interface Pending {
  readonly spans: ReadableSpan[];
  readonly since: number;
}

/** True when the trace id's hash falls under `rate` (uniform for random ids). */
export function keepByTraceId(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  return Number.parseInt(traceId.slice(-8), 16) / 0x1_0000_0000 < rate;
}

/** True for a span that keeps its trace: a failed run, or an errored root. */
export function isFailure(span: ReadableSpan): boolean {
  return (
    span.attributes[C.ATTR_RUN_STATUS] === 'failure' ||
    (span.parentSpanContext === undefined && span.status.code === SpanStatusCode.ERROR)
  );
}

/** What the sampler reports besides kept spans; every hook is optional. */
export interface TailSamplerHooks {
  /** A trace was decided (once per trace, before its kept spans are emitted). */
  readonly decided?: (traceId: string, keep: boolean) => void;
  /** Spans sampled out: nobody will export them. */
  readonly discarded?: (spans: readonly ReadableSpan[]) => void;
}

/** Buffers spans per trace until a keep/drop decision. */
export class TailSampler {
  private readonly pending = new Map<string, Pending>();
  private readonly decisions = new Map<string, boolean>();
  private buffered = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly o: ResolvedTailSampling,
    private readonly emit: (spans: ReadableSpan[]) => void,
    private readonly metrics: CollectorMetrics,
    private readonly hooks: TailSamplerHooks = {},
  ) {
    this.timer = setInterval(() => this.decideExpired(), Math.min(1_000, o.decisionWaitMs));
    this.timer.unref();
  }

  /** Spans held. */
  get size(): number {
    return this.buffered;
  }

  /** The decision made for a trace, if it is still remembered. */
  decisionOf(traceId: string): boolean | undefined {
    return this.decisions.get(traceId);
  }

  /** Remembers a decision made before a restart (replayed from the tail spool). */
  seed(traceId: string, keep: boolean): void {
    this.remember(traceId, keep);
  }

  /** Takes filtered spans; emits the kept ones as decisions are made. */
  add(spans: readonly ReadableSpan[]): void {
    const out: ReadableSpan[] = [];
    const discarded: ReadableSpan[] = [];
    const roots: string[] = [];
    const now = performance.now();
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      const decided = this.decisions.get(traceId);
      if (decided !== undefined) {
        // A late failure still keeps its own span, even in a trace sampled out.
        if (decided || isFailure(span)) out.push(span);
        else {
          this.metrics.drop('sampled_out', 1);
          discarded.push(span);
        }
        continue;
      }
      let p = this.pending.get(traceId);
      if (!p) this.pending.set(traceId, (p = { spans: [], since: now }));
      p.spans.push(span);
      this.buffered++;
      if (span.parentSpanContext === undefined) roots.push(traceId);
    }
    for (const traceId of roots) this.decide(traceId, out);
    for (const [traceId] of this.pending) {
      if (this.buffered <= this.o.maxBufferedSpans) break;
      this.decide(traceId, out);
    }
    if (discarded.length > 0) this.hooks.discarded?.(discarded);
    if (out.length > 0) this.emit(out);
  }

  /** Decides every held trace now (flush, shutdown). */
  decideAll(): void {
    const out: ReadableSpan[] = [];
    for (const [traceId] of this.pending) this.decide(traceId, out);
    if (out.length > 0) this.emit(out);
  }

  /** Stops the timer; held traces are decided by the next `decideAll`. */
  stop(): void {
    clearInterval(this.timer);
  }

  private decideExpired(): void {
    const out: ReadableSpan[] = [];
    const limit = performance.now() - this.o.decisionWaitMs;
    for (const [traceId, p] of this.pending) {
      if (p.since > limit) break;
      this.decide(traceId, out);
    }
    if (out.length > 0) this.emit(out);
  }

  private decide(traceId: string, out: ReadableSpan[]): void {
    const p = this.pending.get(traceId);
    if (!p) return;
    this.pending.delete(traceId);
    this.buffered -= p.spans.length;
    const keep = p.spans.some(isFailure) || keepByTraceId(traceId, this.o.successRate);
    this.remember(traceId, keep);
    this.hooks.decided?.(traceId, keep);
    if (keep) for (const s of p.spans) out.push(s);
    else {
      this.metrics.drop('sampled_out', p.spans.length);
      this.hooks.discarded?.(p.spans);
    }
  }

  private remember(traceId: string, keep: boolean): void {
    if (this.decisions.size >= MAX_DECISIONS) {
      const oldest = this.decisions.keys().next();
      if (!oldest.done) this.decisions.delete(oldest.value);
    }
    this.decisions.set(traceId, keep);
  }
}
