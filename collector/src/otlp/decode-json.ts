/**
 * Decodes OTLP/JSON `ExportTraceServiceRequest` bodies per the OTLP JSON
 * mapping: lowerCamelCase field names, hex trace and span ids, 64-bit
 * integers as numbers or decimal strings, enums as numbers or names.
 * Unknown fields are ignored, as the mapping requires.
 */
import type { HrTime, Link } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import { InvalidRequestError, InvalidSpanError, prefixField } from '../errors.js';
import { emptyDecodedRequest, rejectSpan, type DecodedRequest } from './decoded-request.js';
import { hrTimeFromJson } from './hr-time.js';
import type { DecodeLimits } from './limits.js';
import { checkSpanId, checkTraceId, createSpan, type SpanFields } from './otlp-span.js';
import { asRequestError } from './proto-values.js';
import {
  arr,
  attributes,
  enumValue,
  hexId,
  int,
  obj,
  str,
  type JsonObject,
} from './json-values.js';

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/**
 * Decodes a JSON body (already a string). Throws {@link InvalidRequestError}
 * naming the field when the body is not a well-formed request.
 */
export function decodeJsonRequest(text: string, limits: DecodeLimits): DecodedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('request', 'is not valid JSON');
  }
  const root = obj(parsed, 'request');
  if (root === undefined) throw new InvalidRequestError('request', 'must be an object (got null)');
  const out = emptyDecodedRequest();
  arr(root.resourceSpans, 'resourceSpans').forEach((rs, i) =>
    resourceSpans(rs, limits, `resourceSpans[${i}]`, out),
  );
  return out;
}

function resourceSpans(v: unknown, L: DecodeLimits, field: string, out: DecodedRequest): void {
  const o = obj(v, field) ?? {};
  let resource: Resource;
  try {
    const res = obj(o.resource, `${field}.resource`);
    resource = resourceFromAttributes(
      attributes(res?.attributes, L, `${field}.resource.attributes`),
    );
  } catch (err) {
    throw asRequestError(err);
  }
  arr(o.scopeSpans, `${field}.scopeSpans`).forEach((ss, i) =>
    scopeSpans(ss, resource, L, `${field}.scopeSpans[${i}]`, out),
  );
}

function scopeSpans(
  v: unknown,
  resource: Resource,
  L: DecodeLimits,
  field: string,
  out: DecodedRequest,
): void {
  const o = obj(v, field) ?? {};
  const s = obj(o.scope, `${field}.scope`);
  let scope: InstrumentationScope;
  try {
    const name = str(s?.name, `${field}.scope.name`, L.maxStringLength);
    const version = str(s?.version, `${field}.scope.version`, L.maxStringLength);
    const schemaUrl = str(o.schemaUrl, `${field}.schemaUrl`, L.maxStringLength);
    scope = {
      name,
      ...(version !== '' ? { version } : {}),
      ...(schemaUrl !== '' ? { schemaUrl } : {}),
    };
  } catch (err) {
    throw asRequestError(err);
  }
  const spans = arr(o.spans, `${field}.spans`);
  for (let i = 0; i < spans.length; i++) {
    const path = `${field}.spans[${i}]`;
    try {
      const f = spanFields(obj(spans[i], path) ?? {}, L, path);
      try {
        out.spans.push(createSpan(f, resource, scope));
      } catch (err) {
        throw prefixField(err, path);
      }
    } catch (err) {
      rejectSpan(out, err);
    }
  }
}

function time(v: unknown, field: string): HrTime | undefined {
  if (v === undefined || v === null) return undefined;
  const t = hrTimeFromJson(v);
  if (t === undefined)
    throw new InvalidSpanError(
      field,
      `must be unsigned 64-bit nanoseconds, as a decimal string or a safe integer (got ${given(v)})`,
    );
  return t;
}

/** A short rendering of a rejected time value: times are not content, but bound the echo. */
function given(v: unknown): string {
  const text =
    typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : typeof v;
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function traceState(v: unknown, L: DecodeLimits, field: string): TraceState | undefined {
  const s = str(v, field, L.maxStringLength);
  return s === '' ? undefined : new TraceState(s);
}

function spanFields(o: JsonObject, L: DecodeLimits, path: string): SpanFields {
  const status = obj(o.status, `${path}.status`);
  const events = arr(o.events, `${path}.events`);
  if (events.length > L.maxEvents)
    throw new InvalidSpanError(`${path}.events`, `has more than ${L.maxEvents} events`);
  const links = arr(o.links, `${path}.links`);
  if (links.length > L.maxLinks)
    throw new InvalidSpanError(`${path}.links`, `has more than ${L.maxLinks} links`);
  return {
    traceId: hexId(o.traceId, `${path}.traceId`),
    spanId: hexId(o.spanId, `${path}.spanId`),
    parentSpanId: hexId(o.parentSpanId, `${path}.parentSpanId`),
    traceState: traceState(o.traceState, L, `${path}.traceState`),
    flags: int(o.flags, `${path}.flags`),
    name: str(o.name, `${path}.name`, L.maxStringLength),
    kind: enumValue(o.kind, SPAN_KINDS, `${path}.kind`),
    startTime: time(o.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endTime: time(o.endTimeUnixNano, `${path}.endTimeUnixNano`),
    attributes: attributes(o.attributes, L, `${path}.attributes`),
    droppedAttributesCount: int(o.droppedAttributesCount, `${path}.droppedAttributesCount`),
    events: events.map((e, i) => event(e, L, `${path}.events[${i}]`)),
    droppedEventsCount: int(o.droppedEventsCount, `${path}.droppedEventsCount`),
    links: links.map((l, i) => link(l, L, `${path}.links[${i}]`)),
    droppedLinksCount: int(o.droppedLinksCount, `${path}.droppedLinksCount`),
    statusCode: enumValue(status?.code, STATUS_CODES, `${path}.status.code`),
    statusMessage: str(status?.message, `${path}.status.message`, L.maxStringLength),
  };
}

function event(v: unknown, L: DecodeLimits, field: string): TimedEvent {
  const o = obj(v, field) ?? {};
  return {
    time: time(o.timeUnixNano, `${field}.timeUnixNano`) ?? [0, 0],
    name: str(o.name, `${field}.name`, L.maxStringLength),
    attributes: attributes(o.attributes, L, `${field}.attributes`),
    droppedAttributesCount: int(o.droppedAttributesCount, `${field}.droppedAttributesCount`),
  };
}

function link(v: unknown, L: DecodeLimits, field: string): Link {
  const o = obj(v, field) ?? {};
  const traceId = hexId(o.traceId, `${field}.traceId`);
  const spanId = hexId(o.spanId, `${field}.spanId`);
  checkTraceId(traceId, `${field}.traceId`);
  checkSpanId(spanId, `${field}.spanId`);
  const flags = int(o.flags, `${field}.flags`);
  const ts = traceState(o.traceState, L, `${field}.traceState`);
  return {
    context: {
      traceId,
      spanId,
      traceFlags: flags & 0xff,
      isRemote: (flags & 0x300) === 0x300,
      ...(ts ? { traceState: ts } : {}),
    },
    attributes: attributes(o.attributes, L, `${field}.attributes`),
    droppedAttributesCount: int(o.droppedAttributesCount, `${field}.droppedAttributesCount`),
  };
}
