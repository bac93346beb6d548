/**
 * Decodes one OTLP `Span` message, with its events, links and status, from
 * protobuf into {@link SpanFields}. Field numbers follow
 * opentelemetry/proto/trace/v1/trace.proto.
 */
import type { Attributes, Link } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import { InvalidSpanError, prefixField } from '../errors.js';
import { hrTimeFromParts } from './hr-time.js';
import type { DecodeLimits } from './limits.js';
import { checkSpanId, checkTraceId, type SpanFields } from './otlp-span.js';
import {
  expectEnd,
  expectWire,
  lengthEnd,
  readId,
  readString,
  skipField,
  type Reader,
} from './proto-reader.js';
import { readAttribute } from './proto-values.js';

const spanError = (field: string, problem: string) => new InvalidSpanError(field, problem);

function readTraceState(
  r: Reader,
  end: number,
  L: DecodeLimits,
  field: string,
): TraceState | undefined {
  const s = readString(r, end, field, L.maxStringLength, spanError);
  return s === '' ? undefined : new TraceState(s);
}

/**
 * Decodes one `Span` (the reader is at its first field, `end` is where it
 * ends) into `f`. Throws {@link InvalidSpanError} for a semantic problem,
 * {@link InvalidRequestError} for a wire-level one.
 */
export function decodeSpan(r: Reader, end: number, f: SpanFields, L: DecodeLimits): void {
  let attrs = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, 'traceId');
        f.traceId = readId(r, end, 'traceId');
        break;
      case 2:
        expectWire(wire, 2, 'spanId');
        f.spanId = readId(r, end, 'spanId');
        break;
      case 3:
        expectWire(wire, 2, 'traceState');
        f.traceState = readTraceState(r, end, L, 'traceState');
        break;
      case 4:
        expectWire(wire, 2, 'parentSpanId');
        f.parentSpanId = readId(r, end, 'parentSpanId');
        break;
      case 5:
        expectWire(wire, 2, 'name');
        f.name = readString(r, end, 'name', L.maxStringLength, spanError);
        break;
      case 6:
        expectWire(wire, 0, 'kind');
        f.kind = r.int32();
        break;
      case 7:
        expectWire(wire, 1, 'startTimeUnixNano');
        f.startTime = hrTimeFromParts(r.fixed32(), r.fixed32());
        break;
      case 8:
        expectWire(wire, 1, 'endTimeUnixNano');
        f.endTime = hrTimeFromParts(r.fixed32(), r.fixed32());
        break;
      case 9:
        expectWire(wire, 2, 'attributes');
        readAttribute(r, end, f.attributes, attrs++, L, 'attributes');
        break;
      case 10:
        expectWire(wire, 0, 'droppedAttributesCount');
        f.droppedAttributesCount = r.uint32();
        break;
      case 11: {
        expectWire(wire, 2, 'events');
        if (f.events.length >= L.maxEvents)
          throw new InvalidSpanError('events', `has more than ${L.maxEvents} events`);
        try {
          f.events.push(event(r, lengthEnd(r, end, 'events'), L));
        } catch (err) {
          throw prefixField(err, `events[${f.events.length}]`);
        }
        break;
      }
      case 12:
        expectWire(wire, 0, 'droppedEventsCount');
        f.droppedEventsCount = r.uint32();
        break;
      case 13: {
        expectWire(wire, 2, 'links');
        if (f.links.length >= L.maxLinks)
          throw new InvalidSpanError('links', `has more than ${L.maxLinks} links`);
        try {
          f.links.push(link(r, lengthEnd(r, end, 'links'), L));
        } catch (err) {
          throw prefixField(err, `links[${f.links.length}]`);
        }
        break;
      }
      case 14:
        expectWire(wire, 0, 'droppedLinksCount');
        f.droppedLinksCount = r.uint32();
        break;
      case 15:
        expectWire(wire, 2, 'status');
        try {
          status(r, lengthEnd(r, end, 'status'), f, L);
        } catch (err) {
          throw prefixField(err, 'status');
        }
        break;
      case 16:
        expectWire(wire, 5, 'flags');
        f.flags = r.fixed32();
        break;
      default:
        skipField(r, wire, end, 'span');
    }
  }
  expectEnd(r, end, 'span');
}

function event(r: Reader, end: number, L: DecodeLimits): TimedEvent {
  const e: TimedEvent = { time: [0, 0], name: '', attributes: {}, droppedAttributesCount: 0 };
  let n = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 1, 'timeUnixNano');
        e.time = hrTimeFromParts(r.fixed32(), r.fixed32());
        break;
      case 2:
        expectWire(wire, 2, 'name');
        e.name = readString(r, end, 'name', L.maxStringLength, spanError);
        break;
      case 3:
        expectWire(wire, 2, 'attributes');
        readAttribute(r, end, e.attributes as Attributes, n++, L, 'attributes');
        break;
      case 4:
        expectWire(wire, 0, 'droppedAttributesCount');
        e.droppedAttributesCount = r.uint32();
        break;
      default:
        skipField(r, wire, end, 'message');
    }
  }
  expectEnd(r, end, 'message');
  return e;
}

function link(r: Reader, end: number, L: DecodeLimits): Link {
  let traceId = '';
  let spanId = '';
  let traceState: TraceState | undefined;
  let flags = 0;
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  let n = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, 'traceId');
        traceId = readId(r, end, 'traceId');
        break;
      case 2:
        expectWire(wire, 2, 'spanId');
        spanId = readId(r, end, 'spanId');
        break;
      case 3:
        expectWire(wire, 2, 'traceState');
        traceState = readTraceState(r, end, L, 'traceState');
        break;
      case 4:
        expectWire(wire, 2, 'attributes');
        readAttribute(r, end, attributes, n++, L, 'attributes');
        break;
      case 5:
        expectWire(wire, 0, 'droppedAttributesCount');
        droppedAttributesCount = r.uint32();
        break;
      case 6:
        expectWire(wire, 5, 'flags');
        flags = r.fixed32();
        break;
      default:
        skipField(r, wire, end, 'message');
    }
  }
  expectEnd(r, end, 'message');
  checkTraceId(traceId);
  checkSpanId(spanId);
  return {
    context: {
      traceId,
      spanId,
      traceFlags: flags & 0xff,
      isRemote: (flags & 0x300) === 0x300,
      ...(traceState ? { traceState } : {}),
    },
    attributes,
    droppedAttributesCount,
  };
}

function status(r: Reader, end: number, f: SpanFields, L: DecodeLimits): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 2:
        expectWire(wire, 2, 'message');
        f.statusMessage = readString(r, end, 'message', L.maxStringLength, spanError);
        break;
      case 3:
        expectWire(wire, 0, 'code');
        f.statusCode = r.int32();
        break;
      default:
        skipField(r, wire, end, 'message');
    }
  }
  expectEnd(r, end, 'message');
}
