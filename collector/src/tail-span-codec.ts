/**
 * Spans as JSON lines for the tail spool, and back: a replayed span must be
 * the `ReadableSpan` the sampler and the exporter took before the crash
 * (ids, times, status, attributes, events, links, resource, scope).
 * Attribute values are JSON but for non-finite numbers, which are tagged as
 * `{"$n":"NaN"}` (an attribute value is never an object, so the tag cannot
 * clash with one).
 */
import type {
  Attributes,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatus,
} from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** One span as written to the tail spool. */
export interface EncodedSpan {
  readonly t: string;
  readonly s: string;
  readonly f: number;
  readonly ts?: string;
  readonly p?: { readonly s: string; readonly r: boolean };
  readonly n: string;
  readonly k: number;
  readonly st: HrTime;
  readonly en: HrTime;
  readonly du: HrTime;
  readonly sc: SpanStatus;
  readonly a: Attributes;
  readonly ev: readonly { n: string; t: HrTime; a?: Attributes; d?: number }[];
  readonly l: readonly {
    t: string;
    s: string;
    f: number;
    ts?: string;
    a?: Attributes;
    d?: number;
  }[];
  readonly r: Attributes;
  readonly i: InstrumentationScope;
  readonly d: readonly [number, number, number];
}

const NON_FINITE = '$n';

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value)
    ? { [NON_FINITE]: String(value) }
    : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && NON_FINITE in value) {
    const tag = (value as Record<string, unknown>)[NON_FINITE];
    if (typeof tag === 'string' && Object.keys(value).length === 1) return Number(tag);
  }
  return value;
}

/** The JSON line of one record (spans and anything else the spool writes). */
export function encodeLine(record: unknown): string {
  return JSON.stringify(record, replacer);
}

/** Parses a line written by {@link encodeLine}. */
export function decodeLine(line: string): unknown {
  return JSON.parse(line, reviver) as unknown;
}

/** A span as the tail spool keeps it. */
export function encodeSpan(span: ReadableSpan): EncodedSpan {
  const c = span.spanContext();
  const ts = c.traceState?.serialize();
  const parent = span.parentSpanContext;
  return {
    t: c.traceId,
    s: c.spanId,
    f: c.traceFlags,
    ...(ts ? { ts } : {}),
    ...(parent ? { p: { s: parent.spanId, r: parent.isRemote === true } } : {}),
    n: span.name,
    k: span.kind,
    st: span.startTime,
    en: span.endTime,
    du: span.duration,
    sc: span.status,
    a: span.attributes,
    ev: span.events.map((e) => ({
      n: e.name,
      t: e.time,
      ...(e.attributes ? { a: e.attributes } : {}),
      ...(e.droppedAttributesCount ? { d: e.droppedAttributesCount } : {}),
    })),
    l: span.links.map((l) => {
      const lts = l.context.traceState?.serialize();
      return {
        t: l.context.traceId,
        s: l.context.spanId,
        f: l.context.traceFlags,
        ...(lts ? { ts: lts } : {}),
        ...(l.attributes ? { a: l.attributes } : {}),
        ...(l.droppedAttributesCount ? { d: l.droppedAttributesCount } : {}),
      };
    }),
    r: span.resource.attributes,
    i: span.instrumentationScope,
    d: [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount],
  };
}

/** A replayed span; a class so that `spanContext` costs no closure per span. */
class ReplayedSpan implements ReadableSpan {
  readonly ended = true;
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[];
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  private readonly context: SpanContext;

  constructor(
    e: EncodedSpan,
    readonly resource: Resource,
  ) {
    this.context = { traceId: e.t, spanId: e.s, traceFlags: e.f };
    if (e.ts) this.context.traceState = new TraceState(e.ts);
    this.parentSpanContext = e.p
      ? { traceId: e.t, spanId: e.p.s, traceFlags: e.f, isRemote: e.p.r }
      : undefined;
    this.name = e.n;
    this.kind = e.k;
    this.startTime = e.st;
    this.endTime = e.en;
    this.duration = e.du;
    this.status = e.sc;
    this.attributes = e.a;
    this.events = e.ev.map((ev) => ({
      name: ev.n,
      time: ev.t,
      ...(ev.a ? { attributes: ev.a } : {}),
      ...(ev.d ? { droppedAttributesCount: ev.d } : {}),
    }));
    this.links = e.l.map((l) => {
      const context: SpanContext = { traceId: l.t, spanId: l.s, traceFlags: l.f };
      if (l.ts) context.traceState = new TraceState(l.ts);
      return {
        context,
        ...(l.a ? { attributes: l.a } : {}),
        ...(l.d ? { droppedAttributesCount: l.d } : {}),
      };
    });
    this.instrumentationScope = e.i;
    [this.droppedAttributesCount, this.droppedEventsCount, this.droppedLinksCount] = e.d;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/** Rebuilds spans of one record; spans with equal resource attributes share one resource. */
export function decodeSpans(encoded: readonly EncodedSpan[]): ReadableSpan[] {
  const resources = new Map<string, Resource>();
  return encoded.map((e) => {
    const key = JSON.stringify(e.r);
    let resource = resources.get(key);
    if (!resource) resources.set(key, (resource = resourceFromAttributes(e.r)));
    return new ReplayedSpan(e, resource);
  });
}
