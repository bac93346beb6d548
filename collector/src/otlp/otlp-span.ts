/**
 * A span received over OTLP, as the `ReadableSpan` that span processors and
 * exporters take. Built only by {@link createSpan} after validation.
 */
import type {
  Attributes,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatus,
  TraceState,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { InvalidSpanError } from '../errors.js';
import {
  hrTimeBefore,
  hrTimeDiff,
  hrTimeStorable,
  hrTimeToNanoString,
  MAX_STORED_TIME_ISO,
  MAX_STORED_TIME_UNIX_NANO,
} from './hr-time.js';

/** Everything decoded for one span, before validation. Ids are lowercase hex. */
export interface SpanFields {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: TraceState | undefined;
  flags: number;
  name: string;
  kind: number;
  startTime: HrTime | undefined;
  endTime: HrTime | undefined;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: TimedEvent[];
  droppedEventsCount: number;
  links: Link[];
  droppedLinksCount: number;
  statusCode: number;
  statusMessage: string;
}

/** Fresh, empty fields for a decoder to fill. */
export function emptySpanFields(): SpanFields {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: undefined,
    flags: 0,
    name: '',
    kind: 0,
    startTime: undefined,
    endTime: undefined,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
  };
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** `SpanFlags` bits 8 and 9: whether the parent was remote is known, and is it. */
const FLAG_HAS_IS_REMOTE = 0x100;
const FLAG_IS_REMOTE = 0x200;

/** Checks a trace id decoded to hex; `field` names it in the error. */
export function checkTraceId(hex: string, field = 'traceId'): void {
  if (hex.length !== 32)
    throw new InvalidSpanError(field, `must be 16 bytes (got ${hex.length / 2})`);
  if (hex === ZERO_TRACE_ID) throw new InvalidSpanError(field, 'must not be all zeroes');
}

/** Checks a span id decoded to hex; `field` names it in the error. */
export function checkSpanId(hex: string, field = 'spanId'): void {
  if (hex.length !== 16)
    throw new InvalidSpanError(field, `must be 8 bytes (got ${hex.length / 2})`);
  if (hex === ZERO_SPAN_ID) throw new InvalidSpanError(field, 'must not be all zeroes');
}

/**
 * Checks that the store can hold a time. OTLP links carry no time; span
 * start and end and event times are every time a span has.
 */
function checkStorable(t: HrTime, field: string): void {
  if (!hrTimeStorable(t))
    throw new InvalidSpanError(
      field,
      `must be at most ${MAX_STORED_TIME_UNIX_NANO} (${MAX_STORED_TIME_ISO}, the last time the store's DateTime64(9) holds) (got ${hrTimeToNanoString(t)})`,
    );
}

/**
 * Validates `f` and builds the span. Throws {@link InvalidSpanError} naming
 * the first field that is wrong, relative to the span (the caller prefixes
 * the span's position with `prefixField`).
 */
export function createSpan(
  f: SpanFields,
  resource: Resource,
  scope: InstrumentationScope,
): ReadableSpan {
  checkTraceId(f.traceId, 'traceId');
  checkSpanId(f.spanId, 'spanId');
  if (f.parentSpanId !== '') checkSpanId(f.parentSpanId, 'parentSpanId');
  if (f.kind < 0 || f.kind > 5 || !Number.isInteger(f.kind))
    throw new InvalidSpanError('kind', `must be a SpanKind 0..5 (got ${f.kind})`);
  if (f.statusCode < 0 || f.statusCode > 2 || !Number.isInteger(f.statusCode))
    throw new InvalidSpanError('status.code', `must be a StatusCode 0..2 (got ${f.statusCode})`);
  const start = f.startTime;
  const end = f.endTime;
  if (start === undefined || (start[0] === 0 && start[1] === 0))
    throw new InvalidSpanError('startTimeUnixNano', 'is required and must be positive');
  checkStorable(start, 'startTimeUnixNano');
  if (end === undefined)
    throw new InvalidSpanError('endTimeUnixNano', 'is required and must not be before the start');
  checkStorable(end, 'endTimeUnixNano');
  // The Duration column is UInt64: an end before the start has no value there.
  if (hrTimeBefore(end, start))
    throw new InvalidSpanError(
      'endTimeUnixNano',
      `must not be before the start (got ${hrTimeToNanoString(end)}, start ${hrTimeToNanoString(start)})`,
    );
  f.events.forEach((e, i) => {
    if (e.time[0] === 0 && e.time[1] === 0) e.time = start;
    else checkStorable(e.time, `events[${i}].timeUnixNano`);
  });
  const traceFlags = f.flags & 0xff;
  const context: SpanContext = { traceId: f.traceId, spanId: f.spanId, traceFlags };
  if (f.traceState !== undefined) context.traceState = f.traceState;
  const parent: SpanContext | undefined =
    f.parentSpanId === ''
      ? undefined
      : {
          traceId: f.traceId,
          spanId: f.parentSpanId,
          traceFlags,
          isRemote: (f.flags & FLAG_HAS_IS_REMOTE) !== 0 && (f.flags & FLAG_IS_REMOTE) !== 0,
        };
  const status: SpanStatus =
    f.statusMessage === ''
      ? { code: f.statusCode }
      : { code: f.statusCode, message: f.statusMessage };
  return new OtlpSpan(
    f,
    context,
    parent,
    status,
    hrTimeDiff(start, end),
    resource,
    scope,
    start,
    end,
  );
}

/** The received span. A class so that `spanContext` costs no closure per span. */
class OtlpSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[];
  readonly ended = true;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;

  constructor(
    f: SpanFields,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly status: SpanStatus,
    readonly duration: HrTime,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
  ) {
    this.name = f.name;
    // OTLP counts kinds from UNSPECIFIED = 0; the API from INTERNAL = 0.
    this.kind = f.kind === 0 ? 0 : f.kind - 1;
    this.attributes = f.attributes;
    this.links = f.links;
    this.events = f.events;
    this.droppedAttributesCount = f.droppedAttributesCount;
    this.droppedEventsCount = f.droppedEventsCount;
    this.droppedLinksCount = f.droppedLinksCount;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}
