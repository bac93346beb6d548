/**
 * A span processor that wraps another and hands it a filtered copy of every
 * finished span: only what the privacy policy allows leaves the process.
 */
import { diag, trace, type Attributes, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import * as C from '../conventions.js';
import type { ParentSpanInfo } from './context-attributes.js';
import { DropCounter } from './drop-counter.js';
import { filterSpan, skeletonSpan, type FilterCaches } from './filter-span.js';
import { createPrivacyPolicy, type PrivacyPolicy, type PrivacyPolicyOptions } from './policy.js';
import { publishableDrops } from './publishable-drops.js';

/** Options of {@link AllowlistSpanProcessor}. */
export interface AllowlistSpanProcessorOptions {
  /** A policy built with `createPrivacyPolicy`, or options to extend the default. @default the default policy */
  policy?: PrivacyPolicy | PrivacyPolicyOptions;
}

/** What the allowlist did so far. Key names only; values are never kept. */
export interface AllowlistStats {
  /** Spans handed on filtered. */
  readonly spans: number;
  /** Spans handed on as a skeleton because filtering failed (fail closed). */
  readonly failedClosed: number;
  /** Items dropped, in total. */
  readonly dropped: number;
  /** Items dropped, by attribute key (or `(span_name)`, `(status_message)`…). */
  readonly droppedByKey: Readonly<Record<string, number>>;
  /**
   * The same drops, safe to publish (on `/metrics`): keys the policy, the
   * alias map or the forbidden list names (`gen_ai.prompt.*` for a
   * forbidden prefix, `agenttrace.meta.*` for metadata) keep their name;
   * every other key is summed under `(other)`, so a key cannot carry data
   * out. Always set by `AllowlistSpanProcessor`.
   */
  readonly droppedByKnownKey?: Readonly<Record<string, number>>;
}

function isPolicy(p: PrivacyPolicy | PrivacyPolicyOptions): p is PrivacyPolicy {
  return 'eventAttributes' in p && p.eventAttributes instanceof Map;
}

/**
 * Wraps a delegate processor (usually a `BatchSpanProcessor`) and hands it a
 * filtered copy of each ended span; other processors keep seeing the
 * original. If filtering throws, the delegate gets a skeleton span carrying
 * ids, timing and status code only.
 *
 * @example
 * new BasicTracerProvider({
 *   spanProcessors: [new AllowlistSpanProcessor(new BatchSpanProcessor(exporter))],
 * });
 */
export class AllowlistSpanProcessor implements SpanProcessor {
  private readonly policy: PrivacyPolicy;
  private readonly counter = new DropCounter();
  private readonly caches: FilterCaches = { resources: new WeakMap(), scopes: new WeakMap() };
  /** The live parent of each started span whose parent is a local SDK span. */
  private readonly parents = new WeakMap<object, ParentSpanInfo>();
  private spans = 0;
  private failedClosed = 0;
  private isShutdown = false;

  constructor(
    private readonly delegate: SpanProcessor,
    options: AllowlistSpanProcessorOptions = {},
  ) {
    const p = options.policy ?? {};
    this.policy = isPolicy(p) ? p : createPrivacyPolicy(p);
  }

  /**
   * Passes the live span to the delegate untouched: nothing is exported at
   * start. Remembers the span's parent when it is a live local span, so a
   * model span nested in another model span can be marked at its end.
   */
  onStart(span: Span, parentContext: Context): void {
    if (this.isShutdown) return;
    // agenttrace's own steps (with a run id) are never marked: no bookkeeping for them
    if (span.attributes[C.ATTR_RUN_ID] === undefined) this.rememberParent(span, parentContext);
    this.delegate.onStart(span, parentContext);
  }

  private rememberParent(span: Span, parentContext: Context): void {
    try {
      const parent = trace.getSpan(parentContext);
      const attributes = (parent as { attributes?: unknown } | undefined)?.attributes;
      const spanId = span.parentSpanContext?.spanId;
      if (
        parent !== undefined &&
        typeof attributes === 'object' &&
        attributes !== null &&
        spanId === parent.spanContext().spanId
      )
        this.parents.set(span, { spanId, attributes: attributes as Attributes });
    } catch {
      // the mark helps the views count once: without it the span is filtered the same
    }
  }

  /** Hands the delegate a filtered copy of `span`. */
  onEnd(span: ReadableSpan): void {
    if (this.isShutdown) return;
    let filtered: ReadableSpan;
    try {
      const parent = this.parents.get(span);
      if (parent !== undefined) this.parents.delete(span);
      filtered = filterSpan(span, this.policy, this.counter, this.caches, parent);
    } catch (err) {
      this.failedClosed++;
      diag.error(
        'agenttrace allowlist: filtering failed, span reduced to a skeleton',
        (err as Error)?.name,
      );
      try {
        filtered = skeletonSpan(span);
      } catch {
        return;
      }
    }
    this.spans++;
    this.delegate.onEnd(filtered);
  }

  /** Flushes the delegate. */
  forceFlush(): Promise<void> {
    return this.delegate.forceFlush();
  }

  /** Shuts the delegate down; idempotent. */
  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    await this.delegate.shutdown();
  }

  /** Counts so far. */
  stats(): AllowlistStats {
    return {
      spans: this.spans,
      failedClosed: this.failedClosed,
      dropped: this.counter.total,
      droppedByKey: this.counter.snapshot(),
      droppedByKnownKey: publishableDrops(this.counter.snapshot(), this.policy),
    };
  }
}
