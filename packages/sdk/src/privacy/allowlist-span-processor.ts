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
import { SessionPseudonymizer, type SessionKey } from './pseudonymize.js';
import { applySessionStep } from './session-span.js';
import { isSessionSourceKey } from './session-sources.js';

/** Options of {@link AllowlistSpanProcessor}. */
export interface AllowlistSpanProcessorOptions {
  /** A policy built with `createPrivacyPolicy`, or options to extend the default. @default the default policy */
  policy?: PrivacyPolicy | PrivacyPolicyOptions;
  /**
   * The HMAC-SHA-256 key (32+ bytes) session and user ids are pseudonymized
   * under, or a pseudonymizer built with one. Without it, session ids are
   * dropped and counted, never stored.
   * @default undefined (no sessions)
   */
  sessionKey?: SessionKey | SessionPseudonymizer;
  /** Also store an end-user id's pseudonym (`agenttrace.user.id`); needs `sessionKey`. @default false */
  pseudonymizeUserId?: boolean;
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
  /** Raw session and user id attributes replaced by their pseudonym (not counted as dropped). */
  readonly pseudonymized?: number;
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
  private readonly pseudonymizer: SessionPseudonymizer | undefined;
  private readonly userIds: boolean;
  /** Source keys the filter counted as dropped that became a pseudonym, by key. */
  private readonly replacedByKey = new Map<string, number>();
  private replaced = 0;
  private readonly counter = new DropCounter();
  private readonly caches: FilterCaches = {
    resources: new WeakMap(),
    scopes: new WeakMap(),
    lastResource: undefined,
    lastScope: undefined,
  };
  /** The live parent of each started span whose parent is a local SDK span. */
  private readonly parents = new WeakMap<object, ParentSpanInfo>();
  /**
   * Entries put in `parents` and not yet taken out: while none are, `onEnd`
   * skips the lookup (agenttrace's own spans never add one). A span that is
   * never ended keeps it above 0, which only costs the lookup again.
   */
  private parentsHeld = 0;
  private spans = 0;
  private failedClosed = 0;
  private isShutdown = false;

  constructor(
    private readonly delegate: SpanProcessor,
    options: AllowlistSpanProcessorOptions = {},
  ) {
    const p = options.policy ?? {};
    this.policy = isPolicy(p) ? p : createPrivacyPolicy(p);
    assertNoRawIdRules(this.policy);
    const key = options.sessionKey;
    this.pseudonymizer =
      key === undefined || key instanceof SessionPseudonymizer
        ? key
        : new SessionPseudonymizer(key);
    this.userIds = options.pseudonymizeUserId === true;
    if (this.userIds && this.pseudonymizer === undefined)
      diag.warn(
        'agenttrace allowlist: pseudonymizeUserId needs a sessionKey; user ids are dropped',
      );
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
      ) {
        this.parents.set(span, { spanId, attributes: attributes as Attributes });
        this.parentsHeld++;
      }
    } catch {
      // the mark helps the views count once: without it the span is filtered the same
    }
  }

  /** Hands the delegate a filtered copy of `span`. */
  onEnd(span: ReadableSpan): void {
    if (this.isShutdown) return;
    let filtered: ReadableSpan;
    try {
      const parent = this.parentsHeld > 0 ? this.parents.get(span) : undefined;
      if (parent !== undefined) {
        this.parents.delete(span);
        this.parentsHeld--;
      }
      filtered = filterSpan(span, this.policy, this.counter, this.caches, parent);
      // a raw id is never allowed, so a span without drops carries none: one lookup on the hot path
      if (this.pseudonymizer !== undefined && C.ATTR_PRIVACY_DROPPED in filtered.attributes)
        filtered = this.withPseudonyms(span, filtered, this.pseudonymizer);
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

  private withPseudonyms(
    span: ReadableSpan,
    filtered: ReadableSpan,
    pseudonymizer: SessionPseudonymizer,
  ): ReadableSpan {
    const result = applySessionStep(span, filtered, pseudonymizer, this.userIds);
    for (const key of result.replaced) {
      this.replaced++;
      this.replacedByKey.set(key, (this.replacedByKey.get(key) ?? 0) + 1);
    }
    return result.span;
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
    const droppedByKey = this.counter.snapshot();
    // ids that became a pseudonym were dropped by the filter but are not lost
    for (const [key, n] of this.replacedByKey) {
      const name = droppedByKey[key] !== undefined ? key : '(other)';
      const left = (droppedByKey[name] ?? 0) - n;
      if (left > 0) droppedByKey[name] = left;
      else delete droppedByKey[name];
    }
    return {
      spans: this.spans,
      failedClosed: this.failedClosed,
      dropped: this.counter.total - this.replaced,
      droppedByKey,
      droppedByKnownKey: publishableDrops(droppedByKey, this.policy),
      pseudonymized: this.replaced,
    };
  }
}

/**
 * Refuses a policy that would let a raw session or user id through, or let
 * a client write the pseudonym keys: only the pseudonymizer writes those.
 */
function assertNoRawIdRules(policy: PrivacyPolicy): void {
  for (const map of [policy.spanAttributes, policy.eventAttributes, policy.resourceAttributes])
    for (const key of map.keys())
      if (isSessionSourceKey(key))
        throw new TypeError(
          `spanAttributes["${key}"] carries a session or user id: it is pseudonymized into ${C.ATTR_SESSION_ID} / ${C.ATTR_USER_ID} with a sessionKey and can never be allowed raw`,
        );
}
