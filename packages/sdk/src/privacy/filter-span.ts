/**
 * Builds the filtered copy of a finished span that the allowlist hands on:
 * name, attributes, events, links, status, resource and scope all pass the
 * policy or are dropped and counted. The original span is never touched.
 */
import type { Attributes, AttributeValue, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import * as C from '../conventions.js';
import { ALIASES } from './aliases.js';
import type { CheckTable } from './check-table.js';
import { contextAttributes, type ParentSpanInfo } from './context-attributes.js';
import type { DropCounter } from './drop-counter.js';
import { isSafeMetadataAttribute } from './metadata-key.js';
import { looksSensitiveNumber } from './numbers.js';
import type { PrivacyPolicy } from './policy.js';
import { isSafeName } from './safe-name.js';
import { isSafeLabel } from './sensitive.js';
import { dbSpanName, httpSpanName, isSafeSpanName } from './span-name.js';
import { isSafeStatusMessage } from './status-message.js';

export { isSafeName, NAME_VERBS } from './safe-name.js';

/** Key under which a dropped span name, event name or status message is counted. */
export const DROPPED_SPAN_NAME = '(span_name)';
export const DROPPED_EVENT_NAME = '(event_name)';
export const DROPPED_STATUS_MESSAGE = '(status_message)';
export const DROPPED_SCOPE = '(scope)';
export const DROPPED_TRACE_STATE = '(trace_state)';

const SCHEMA_URL_PATTERN = /^https:\/\/opentelemetry\.io\/schemas\/\d+\.\d+\.\d+$/;
/**
 * The name of a span whose own name did not pass: from what survived
 * filtering (`execute_tool lookup`), else the HTTP method and a safe route
 * or path, else the database operation and a safe collection, else
 * `redacted`.
 */
function replacementName(span: ReadableSpan, attributes: Attributes): string {
  const derived = deriveSpanName(attributes);
  if (derived !== C.SPAN_NAME_REDACTED) return derived;
  return (
    httpSpanName(span.name, span.attributes) ??
    dbSpanName(span.name, span.attributes) ??
    C.SPAN_NAME_REDACTED
  );
}

/** A name derived from what survived filtering, for spans whose own name did not. */
export function deriveSpanName(attributes: Attributes): string {
  const op = attributes[C.ATTR_GEN_AI_OPERATION_NAME] ?? attributes[C.ATTR_STEP_TYPE];
  const subject =
    attributes[C.ATTR_GEN_AI_AGENT_NAME] ??
    attributes[C.ATTR_GEN_AI_TOOL_NAME] ??
    attributes[C.ATTR_GEN_AI_REQUEST_MODEL] ??
    attributes[C.ATTR_STEP_NAME];
  if (typeof op !== 'string') return C.SPAN_NAME_REDACTED;
  return typeof subject === 'string' ? `${op} ${subject}` : op;
}

/**
 * Undeclared metadata: a boolean, or a number of at most eight significant
 * digits, under a key that is itself safe (the processor checks the key as
 * `setMetadata` does, so a span written by other means cannot name a key
 * after an e-mail address or a phone number).
 */
function acceptsUndeclaredMetadata(key: string, value: AttributeValue | undefined): boolean {
  return (
    (typeof value === 'boolean' || (typeof value === 'number' && !looksSensitiveNumber(value))) &&
    isSafeMetadataAttribute(key)
  );
}

/** True when every attribute passes as it is: then the set is handed on without a copy. */
function allAccepted(attributes: Attributes, allowed: CheckTable): boolean {
  let position = 0;
  for (const key in attributes) {
    const value = attributes[key];
    const entry = allowed.entry(key, position++);
    // two branches, not one expression: each result is tested where it is made
    if (entry !== undefined) {
      if (!entry.accepts(value)) return false;
    } else if (!acceptsUndeclaredMetadata(key, value)) return false;
  }
  return true;
}

/**
 * Filters one attribute set. An attribute set that passes whole is returned
 * as it is (spans are immutable once ended, so sharing it is safe). `withAliases` moves foreign keys (OpenInference,
 * AI SDK…) under the conventions' names first. Returns the kept attributes;
 * each dropped key is counted in `counter`.
 */
export function filterAttributes(
  attributes: Attributes,
  allowed: CheckTable,
  counter: DropCounter,
  withAliases: boolean,
): Attributes {
  // small on purpose: the optimizing compiler inlines it into its callers from the first
  // spans on, where a function this short called on its own would take tens of thousands
  // of calls to be optimized (its budget drains by the bytecode it runs, and it runs little)
  return allAccepted(attributes, allowed)
    ? attributes
    : keptAttributes(attributes, allowed, counter, withAliases);
}

/** The attributes of a set that did not pass whole that may be kept, aliases moved. */
function keptAttributes(
  attributes: Attributes,
  allowed: CheckTable,
  counter: DropCounter,
  withAliases: boolean,
): Attributes {
  const kept: Attributes = {};
  let position = 0;
  for (const key in attributes) {
    const value = attributes[key];
    const entry = allowed.entry(key, position++);
    if (entry !== undefined ? entry.accepts(value) : acceptsUndeclaredMetadata(key, value)) {
      kept[key] = value;
      continue;
    }
    if (withAliases && entry === undefined) {
      const alias = ALIASES.get(key);
      if (alias && !(alias.target in attributes) && !(alias.target in kept)) {
        const mapped = (alias.transform ? alias.transform(value) : value) as
          AttributeValue | undefined;
        const target = allowed.get(alias.target);
        if (mapped !== undefined && target?.accepts(mapped) === true) {
          kept[alias.target] = mapped;
          continue;
        }
      }
    }
    counter.add(key);
  }
  return kept;
}

/** Per-policy caches for the parts that repeat on every span of a provider. */
export interface FilterCaches {
  readonly resources: WeakMap<Resource, Resource>;
  readonly scopes: WeakMap<InstrumentationScope, InstrumentationScope>;
  /**
   * The last resource and scope filtered and their filtered forms: a
   * provider's spans share one of each, so this spares the WeakMap lookups.
   */
  lastResource?: { readonly from: Resource; readonly to: Resource } | undefined;
  lastScope?:
    { readonly from: InstrumentationScope; readonly to: InstrumentationScope } | undefined;
}

function filterResource(
  resource: Resource,
  policy: PrivacyPolicy,
  counter: DropCounter,
  caches: FilterCaches,
): Resource {
  const last = caches.lastResource;
  if (last !== undefined && last.from === resource) return last.to;
  const cached = caches.resources.get(resource);
  if (cached) {
    caches.lastResource = { from: resource, to: cached };
    return cached;
  }
  const pending = resource.asyncAttributesPending === true;
  const kept = filterAttributes(resource.attributes, policy.tables.resource, counter, false);
  // a settled resource that passes whole is handed on as it is: its attributes can no longer change
  const filtered =
    !pending && kept === resource.attributes ? resource : resourceFromAttributes(kept);
  if (!pending) caches.resources.set(resource, filtered);
  return filtered;
}

function filterScope(
  scope: InstrumentationScope,
  counter: DropCounter,
  caches: FilterCaches,
): InstrumentationScope {
  const last = caches.lastScope;
  if (last !== undefined && last.from === scope) return last.to;
  const cached = caches.scopes.get(scope);
  if (cached) {
    caches.lastScope = { from: scope, to: cached };
    return cached;
  }
  const name = isSafeLabel(scope.name) ? scope.name : C.SPAN_NAME_REDACTED;
  const version =
    scope.version !== undefined && isSafeLabel(scope.version) ? scope.version : undefined;
  const schemaUrl =
    scope.schemaUrl !== undefined && SCHEMA_URL_PATTERN.test(scope.schemaUrl)
      ? scope.schemaUrl
      : undefined;
  if (name !== scope.name || version !== scope.version || schemaUrl !== scope.schemaUrl)
    counter.add(DROPPED_SCOPE);
  const same = name === scope.name && version === scope.version && schemaUrl === scope.schemaUrl;
  const filtered: InstrumentationScope = same ? scope : { name, version, schemaUrl };
  caches.scopes.set(scope, filtered);
  return filtered;
}

/** Span contexts lose their trace state: it is free-form vendor data. */
function filterContext(ctx: SpanContext, counter: DropCounter): SpanContext {
  if (ctx.traceState === undefined) return ctx;
  counter.add(DROPPED_TRACE_STATE);
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceFlags: ctx.traceFlags,
    isRemote: ctx.isRemote,
  };
}

function filterStatus(status: SpanStatus, counter: DropCounter): SpanStatus {
  if (status.message === undefined || status.message === '') return status;
  if (isSafeStatusMessage(status.message)) return status;
  counter.add(DROPPED_STATUS_MESSAGE);
  return { code: status.code };
}

/**
 * Returns a filtered copy of `span`. `liveParent` is its live parent, when the
 * processor saw the span start (for the duplicate-model-call mark). Throws
 * only on a bug; the caller fails closed on any throw.
 */
export function filterSpan(
  span: ReadableSpan,
  policy: PrivacyPolicy,
  counter: DropCounter,
  caches: FilterCaches,
  liveParent?: ParentSpanInfo,
): ReadableSpan {
  // every drop below goes through `counter`; its total tells this span's count
  const droppedBefore = counter.total;
  let attributes = filterAttributes(span.attributes, policy.tables.span, counter, true);
  const derived = contextAttributes(span, attributes, policy.checks.span, liveParent);
  if (derived !== undefined) attributes = { ...attributes, ...derived };

  let name = span.name;
  if (!isSafeSpanName(name)) {
    name = replacementName(span, attributes);
    counter.add(DROPPED_SPAN_NAME);
  }

  const events: TimedEvent[] = span.events.length === 0 ? span.events : [];
  for (const event of span.events) {
    let eventName = event.name;
    if (!isSafeName(eventName)) {
      eventName = C.EVENT_NAME_REDACTED;
      counter.add(DROPPED_EVENT_NAME);
    }
    events.push({
      name: eventName,
      time: event.time,
      attributes:
        event.attributes && filterAttributes(event.attributes, policy.tables.event, counter, false),
      droppedAttributesCount: event.droppedAttributesCount,
    });
  }

  const links: Link[] = span.links.length === 0 ? span.links : [];
  for (const link of span.links) {
    links.push({
      context: filterContext(link.context, counter),
      attributes:
        link.attributes && filterAttributes(link.attributes, policy.tables.span, counter, false),
      droppedAttributesCount: link.droppedAttributesCount,
    });
  }

  const status = filterStatus(span.status, counter);
  const dropped = counter.total - droppedBefore;
  if (dropped > 0) {
    const before = attributes[C.ATTR_PRIVACY_DROPPED];
    const count = (typeof before === 'number' ? before : 0) + dropped;
    attributes = { ...attributes, [C.ATTR_PRIVACY_DROPPED]: count };
  }

  const original = span.spanContext();
  const context = filterContext(original, counter);
  const parent = span.parentSpanContext
    ? filterContext(span.parentSpanContext, counter)
    : undefined;
  const resource = filterResource(span.resource, policy, counter, caches);
  const scope = filterScope(span.instrumentationScope, counter, caches);
  // Nothing changed (the common case for agenttrace's own spans): the ended
  // span is handed on as it is. It is immutable once ended, so this shares no
  // more than handing on its attribute set did, and spares a copy per span.
  if (
    attributes === span.attributes &&
    name === span.name &&
    events === span.events &&
    links === span.links &&
    status === span.status &&
    context === original &&
    parent === span.parentSpanContext &&
    resource === span.resource &&
    scope === span.instrumentationScope
  )
    return span;
  return new FilteredSpan(
    span,
    name,
    context,
    parent,
    status,
    attributes,
    links,
    events,
    resource,
    scope,
  );
}

/** The filtered copy: a class, so no closure is allocated per span for `spanContext`. */
class FilteredSpan implements ReadableSpan {
  readonly kind: ReadableSpan['kind'];
  readonly startTime: ReadableSpan['startTime'];
  readonly endTime: ReadableSpan['endTime'];
  readonly duration: ReadableSpan['duration'];
  readonly ended: boolean;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;

  constructor(
    original: ReadableSpan,
    readonly name: string,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly status: SpanStatus,
    readonly attributes: Attributes,
    readonly links: Link[],
    readonly events: TimedEvent[],
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {
    this.kind = original.kind;
    this.startTime = original.startTime;
    this.endTime = original.endTime;
    this.duration = original.duration;
    this.ended = original.ended;
    this.droppedAttributesCount = original.droppedAttributesCount;
    this.droppedEventsCount = original.droppedEventsCount;
    this.droppedLinksCount = original.droppedLinksCount;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/**
 * The span handed on when filtering itself failed: identity, timing and
 * status code only. Nothing the span carried can pass through it.
 */
export function skeletonSpan(span: ReadableSpan): ReadableSpan {
  const ctx = span.spanContext();
  const context: SpanContext = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceFlags: ctx.traceFlags,
  };
  const p = span.parentSpanContext;
  const code =
    span.status.code === SpanStatusCode.ERROR ? SpanStatusCode.ERROR : SpanStatusCode.UNSET;
  return {
    name: C.SPAN_NAME_REDACTED,
    kind: span.kind,
    spanContext: () => context,
    parentSpanContext: p
      ? { traceId: p.traceId, spanId: p.spanId, traceFlags: p.traceFlags }
      : undefined,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code },
    attributes: {},
    links: [],
    events: [],
    duration: span.duration,
    ended: true,
    resource: resourceFromAttributes({}),
    instrumentationScope: { name: C.SPAN_NAME_REDACTED },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
