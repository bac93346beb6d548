/**
 * A hand-written decoder of OTLP `ExportTraceServiceRequest` protobuf bodies
 * over protobufjs's minimal `Reader`, building `ReadableSpan`s directly (no
 * intermediate message objects). Field numbers follow
 * opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto.
 *
 * Wire-level problems fail the request ({@link InvalidRequestError});
 * semantic problems inside one span reject that span only.
 */
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { InvalidRequestError, prefixField } from '../errors.js';
import { emptyDecodedRequest, rejectSpan, type DecodedRequest } from './decoded-request.js';
import type { DecodeLimits } from './limits.js';
import { createSpan, emptySpanFields } from './otlp-span.js';
import {
  createReader,
  expectEnd,
  expectWire,
  lengthEnd,
  readString,
  skipField,
  type Reader,
} from './proto-reader.js';
import { decodeSpan } from './proto-span.js';
import { asRequestError, readAttribute } from './proto-values.js';

const requestError = (field: string, problem: string) => new InvalidRequestError(field, problem);

/**
 * Decodes a protobuf body. Throws {@link InvalidRequestError} naming the
 * field when the body is not a well-formed request.
 */
export function decodeProtobufRequest(buf: Uint8Array, limits: DecodeLimits): DecodedRequest {
  const r = createReader(buf);
  const out = emptyDecodedRequest();
  try {
    let i = 0;
    while (r.pos < r.len) {
      const tag = r.uint32();
      const wire = tag & 7;
      if (tag >>> 3 !== 1) {
        skipField(r, wire, r.len, 'request');
        continue;
      }
      const field = `resourceSpans[${i++}]`;
      expectWire(wire, 2, field);
      resourceSpans(r, lengthEnd(r, r.len, field), limits, field, out);
    }
  } catch (err) {
    if (err instanceof RangeError)
      throw new InvalidRequestError('request', 'is truncated or not protobuf');
    throw err;
  }
  return out;
}

function resourceSpans(
  r: Reader,
  end: number,
  L: DecodeLimits,
  field: string,
  out: DecodedRequest,
): void {
  let resource: Resource | undefined;
  const scopes: number[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, `${field}.resource`);
        resource = decodeResource(r, lengthEnd(r, end, field), L, `${field}.resource`);
        break;
      case 2: {
        expectWire(wire, 2, `${field}.scopeSpans`);
        const scopeEnd = lengthEnd(r, end, field);
        // Fields may come in any order: remember where each ScopeSpans is, decode once the resource is known.
        scopes.push(r.pos, scopeEnd);
        r.pos = scopeEnd;
        break;
      }
      default:
        skipField(r, wire, end, field);
    }
  }
  expectEnd(r, end, field);
  resource ??= resourceFromAttributes({});
  for (let s = 0; s < scopes.length; s += 2) {
    r.pos = scopes[s] as number;
    scopeSpans(r, scopes[s + 1] as number, resource, L, `${field}.scopeSpans[${s / 2}]`, out);
  }
  r.pos = end;
}

function decodeResource(r: Reader, end: number, L: DecodeLimits, field: string): Resource {
  const attrs: Attributes = {};
  let n = 0;
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      const wire = tag & 7;
      if (tag >>> 3 === 1) {
        expectWire(wire, 2, `${field}.attributes`);
        readAttribute(r, end, attrs, n++, L, `${field}.attributes`);
      } else skipField(r, wire, end, field);
    }
  } catch (err) {
    throw asRequestError(err);
  }
  expectEnd(r, end, field);
  return resourceFromAttributes(attrs);
}

function scopeSpans(
  r: Reader,
  end: number,
  resource: Resource,
  L: DecodeLimits,
  field: string,
  out: DecodedRequest,
): void {
  let scope: InstrumentationScope = { name: '' };
  let schemaUrl: string | undefined;
  const spans: number[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, `${field}.scope`);
        scope = decodeScope(r, lengthEnd(r, end, field), L, `${field}.scope`);
        break;
      case 2: {
        expectWire(wire, 2, `${field}.spans`);
        const spanEnd = lengthEnd(r, end, field);
        spans.push(r.pos, spanEnd);
        r.pos = spanEnd;
        break;
      }
      case 3:
        expectWire(wire, 2, `${field}.schemaUrl`);
        schemaUrl = readString(r, end, `${field}.schemaUrl`, L.maxStringLength, requestError);
        break;
      default:
        skipField(r, wire, end, field);
    }
  }
  expectEnd(r, end, field);
  if (schemaUrl) scope = { ...scope, schemaUrl };
  for (let s = 0; s < spans.length; s += 2) {
    const spanEnd = spans[s + 1] as number;
    r.pos = spans[s] as number;
    try {
      const f = emptySpanFields();
      decodeSpan(r, spanEnd, f, L);
      out.spans.push(createSpan(f, resource, scope));
    } catch (err) {
      rejectSpan(out, prefixField(err, `${field}.spans[${s / 2}]`));
    }
  }
  r.pos = end;
}

function decodeScope(r: Reader, end: number, L: DecodeLimits, field: string): InstrumentationScope {
  let name = '';
  let version: string | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wire, 2, `${field}.name`);
        name = readString(r, end, `${field}.name`, L.maxStringLength, requestError);
        break;
      case 2:
        expectWire(wire, 2, `${field}.version`);
        version = readString(r, end, `${field}.version`, L.maxStringLength, requestError);
        break;
      default:
        // Scope attributes have no place in OTel JS's InstrumentationScope: skipped, never stored.
        skipField(r, wire, end, field);
    }
  }
  expectEnd(r, end, field);
  return version === undefined ? { name } : { name, version };
}
