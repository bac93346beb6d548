/**
 * Where instrumentations put a conversation, session, thread or end-user id,
 * so the allowlist can replace each with a pseudonym and drop the raw key:
 * the GenAI conventions (`gen_ai.conversation.id`), OpenInference
 * (`session.id`, `user.id`; its LangChain instrumentation fills `session.id`
 * from the run metadata's `session_id`/`thread_id`/`conversation_id` and
 * copies the metadata whole into `metadata` as JSON), OpenLLMetry/Traceloop
 * association properties (`traceloop.association.properties.session_id`…,
 * also what its SDK makes of the AI SDK's `ai.telemetry.metadata.*`), the AI
 * SDK's telemetry metadata, Langfuse's keys, flattened LangChain/LangGraph
 * metadata (`metadata.thread_id`…), our own `setMetadata({ session_id })`
 * (`agenttrace.meta.session_id`…), and agenttrace's own pseudonym keys
 * (a span filtered upstream arrives at the collector with them).
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import * as C from '../conventions.js';
import type { PseudonymKind } from './pseudonymize.js';

/** One source key: what it holds and its rank (lower wins when a span has several). */
interface Source {
  readonly kind: PseudonymKind;
  readonly rank: number;
}

const SESSION_SUFFIXES = [
  'session_id',
  'sessionId',
  'conversation_id',
  'conversationId',
  'thread_id',
  'threadId',
];
const USER_SUFFIXES = ['user_id', 'userId', 'customer_id', 'customerId'];
/** Prefixes under which instrumentations (and our own `setMetadata`) copy user-chosen metadata keys. */
const METADATA_PREFIXES = [
  C.METADATA_PREFIX,
  'traceloop.association.properties.',
  'ai.telemetry.metadata.',
  'metadata.',
  'langgraph.',
];

const SESSION_KEYS = [
  C.ATTR_SESSION_ID,
  C.ATTR_GEN_AI_CONVERSATION_ID,
  'session.id',
  'langfuse.session.id',
  ...METADATA_PREFIXES.flatMap((p) => SESSION_SUFFIXES.map((s) => p + s)),
];
const USER_KEYS = [
  C.ATTR_USER_ID,
  C.ATTR_USER_ID_RAW,
  'enduser.id',
  'enduser.pseudo.id',
  'langfuse.user.id',
  ...METADATA_PREFIXES.flatMap((p) => USER_SUFFIXES.map((s) => p + s)),
];

/** OpenInference's whole-metadata attribute: a JSON object. */
const METADATA_JSON_KEY = 'metadata';
/** Longer `metadata` JSON is not parsed (its ids are still dropped with it). */
const METADATA_JSON_MAX = 65_536;

const SOURCES: ReadonlyMap<string, Source> = new Map<string, Source>([
  ...SESSION_KEYS.map((k, rank) => [k, { kind: 'session', rank }] as const),
  ...USER_KEYS.map((k, rank) => [k, { kind: 'user', rank }] as const),
]);

/** Every attribute key that carries a session or user id (the `metadata` JSON aside). */
export const SESSION_SOURCE_KEYS: readonly string[] = [...SESSION_KEYS, ...USER_KEYS];

/** True when `key` carries a session or user id, so no policy may allow it raw. */
export function isSessionSourceKey(key: string): boolean {
  return SOURCES.has(key);
}

/** The ids one span carries, with every source key seen (raw keys to drop). */
export interface FoundIds {
  /** The session id from the best-ranked source, as text. */
  session: string | undefined;
  /** Source keys of session ids on the span. */
  sessionKeys: string[];
  /** The end-user id from the best-ranked source, as text. */
  user: string | undefined;
  /** Source keys of user ids on the span. */
  userKeys: string[];
}

/** A usable id: non-empty text, or a finite number as text; anything else is no id. */
function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The ids in OpenInference's `metadata` JSON, in its own order (`session_id`, `thread_id`, `conversation_id`). */
function fromMetadataJson(value: AttributeValue | undefined): { session?: string; user?: string } {
  if (typeof value !== 'string' || value.length > METADATA_JSON_MAX || value[0] !== '{') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const m = parsed as Record<string, unknown>;
  return {
    session: idText(m.session_id) ?? idText(m.thread_id) ?? idText(m.conversation_id),
    user: idText(m.user_id),
  };
}

/**
 * The session and user ids `attributes` carries, or `undefined` when it
 * carries none. Reads every key once; called only for spans the allowlist
 * already dropped something from (a raw source is never allowed, so a span
 * without drops has none).
 */
export function findIds(attributes: Attributes): FoundIds | undefined {
  let found: FoundIds | undefined;
  let sessionRank = Infinity;
  let userRank = Infinity;
  for (const key in attributes) {
    const source = SOURCES.get(key);
    if (source === undefined) continue;
    found ??= { session: undefined, sessionKeys: [], user: undefined, userKeys: [] };
    const id = idText(attributes[key]);
    if (source.kind === 'session') {
      found.sessionKeys.push(key);
      if (id !== undefined && source.rank < sessionRank) {
        found.session = id;
        sessionRank = source.rank;
      }
    } else {
      found.userKeys.push(key);
      if (id !== undefined && source.rank < userRank) {
        found.user = id;
        userRank = source.rank;
      }
    }
  }
  if (METADATA_JSON_KEY in attributes) {
    const m = fromMetadataJson(attributes[METADATA_JSON_KEY]);
    if (m.session !== undefined || m.user !== undefined) {
      found ??= { session: undefined, sessionKeys: [], user: undefined, userKeys: [] };
      found.session ??= m.session;
      found.user ??= m.user;
    }
  }
  return found;
}
