/**
 * The allowlist's session step: after a span is filtered (every raw session
 * or user id dropped with the rest of what the policy does not allow), puts
 * the pseudonyms of those ids on the filtered copy under
 * `agenttrace.session.id` / `agenttrace.user.id`. The ids that became a
 * pseudonym no longer count as dropped; with no key, or for a user id when
 * user pseudonyms are off, they stay dropped and counted.
 */
import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as C from '../conventions.js';
import type { SessionPseudonymizer } from './pseudonymize.js';
import { findIds } from './session-sources.js';

/** What the session step did to one span. */
export interface SessionStepResult {
  /** The span to hand on: `filtered`, or a copy of it with the pseudonyms. */
  readonly span: ReadableSpan;
  /** Source keys whose id became a pseudonym: the filter counted them as drops. */
  readonly replaced: readonly string[];
}

/**
 * Adds the pseudonyms of the ids `original` carried to `filtered`. Returns
 * `filtered` itself when there is nothing to add. Raw source keys never
 * survive: should a policy have let one through, it is removed here.
 */
export function applySessionStep(
  original: ReadableSpan,
  filtered: ReadableSpan,
  pseudonymizer: SessionPseudonymizer,
  userIds: boolean,
): SessionStepResult {
  const found = findIds(original.attributes);
  if (found === undefined) return { span: filtered, replaced: [] };
  const session = found.session;
  const user = userIds ? found.user : undefined;
  const leaked = [...found.sessionKeys, ...found.userKeys].some((k) => k in filtered.attributes);
  if (session === undefined && user === undefined && !leaked)
    return { span: filtered, replaced: [] };
  const attributes: Attributes = { ...filtered.attributes };
  for (const key of found.sessionKeys) delete attributes[key];
  for (const key of found.userKeys) delete attributes[key];
  const replaced: string[] = [];
  if (session !== undefined) {
    attributes[C.ATTR_SESSION_ID] = pseudonymizer.pseudonym('session', session);
    for (const k of found.sessionKeys) if (!(k in filtered.attributes)) replaced.push(k);
  }
  if (user !== undefined) {
    attributes[C.ATTR_USER_ID] = pseudonymizer.pseudonym('user', user);
    for (const k of found.userKeys) if (!(k in filtered.attributes)) replaced.push(k);
  }
  const dropped = attributes[C.ATTR_PRIVACY_DROPPED];
  if (typeof dropped === 'number') {
    const left = dropped - replaced.length;
    if (left > 0) attributes[C.ATTR_PRIVACY_DROPPED] = left;
    else delete attributes[C.ATTR_PRIVACY_DROPPED];
  }
  return { span: new SpanWithAttributes(filtered, attributes), replaced };
}

/** A filtered span with other attributes; everything else is the filtered span's. */
class SpanWithAttributes implements ReadableSpan {
  readonly name: string;
  readonly kind: ReadableSpan['kind'];
  readonly parentSpanContext: ReadableSpan['parentSpanContext'];
  readonly startTime: ReadableSpan['startTime'];
  readonly endTime: ReadableSpan['endTime'];
  readonly status: ReadableSpan['status'];
  readonly links: ReadableSpan['links'];
  readonly events: ReadableSpan['events'];
  readonly duration: ReadableSpan['duration'];
  readonly ended: boolean;
  readonly resource: ReadableSpan['resource'];
  readonly instrumentationScope: ReadableSpan['instrumentationScope'];
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;

  constructor(
    private readonly base: ReadableSpan,
    readonly attributes: Attributes,
  ) {
    this.name = base.name;
    this.kind = base.kind;
    this.parentSpanContext = base.parentSpanContext;
    this.startTime = base.startTime;
    this.endTime = base.endTime;
    this.status = base.status;
    this.links = base.links;
    this.events = base.events;
    this.duration = base.duration;
    this.ended = base.ended;
    this.resource = base.resource;
    this.instrumentationScope = base.instrumentationScope;
    this.droppedAttributesCount = base.droppedAttributesCount;
    this.droppedEventsCount = base.droppedEventsCount;
    this.droppedLinksCount = base.droppedLinksCount;
  }

  spanContext(): ReturnType<ReadableSpan['spanContext']> {
    return this.base.spanContext();
  }
}
