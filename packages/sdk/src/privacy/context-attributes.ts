/**
 * Conventions' attributes that other instrumentations only imply, derived
 * from more than one key, the span name, its parent or its events: the
 * OpenInference AGENT span's name as the agent name, Traceloop entity names
 * by span kind, LangChain's provider and model from its metadata, an AI SDK
 * `ai.embed` root as a run, a rate limit hidden in an exception message, and
 * the mark on a model span nested in another model span of the same call.
 * Each derived value passes the policy's own check for its key; a key the
 * span already has is never overwritten.
 */
import { SpanStatusCode, type Attributes, type AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as C from '../conventions.js';
import { classifyForeignError } from '../failure.js';
import { ALIASES, normalizeProvider, PROVIDER_SPELLINGS } from './aliases.js';
import type { Check } from './rules.js';
import { isSafeLabel } from './sensitive.js';

/** The live parent of a span, as the processor saw it when the span started. */
export interface ParentSpanInfo {
  readonly spanId: string;
  /** The parent's attributes now (a live span's attributes grow until it ends). */
  readonly attributes: Attributes;
}

/** Operations whose spans are model calls. */
const MODEL_OPERATIONS: ReadonlySet<unknown> = new Set([
  C.OPERATION.chat,
  C.OPERATION.textCompletion,
  C.OPERATION.generateContent,
  C.OPERATION.embeddings,
]);
/** AI SDK operations that are a run when they start a trace. */
const AI_SDK_ROOTS: ReadonlySet<unknown> = new Set(['ai.embed', 'ai.embedMany']);
/** Keys that tell a span's operation, in the order they are trusted. */
const OPERATION_KEYS = [
  C.ATTR_GEN_AI_OPERATION_NAME,
  'openinference.span.kind',
  'ai.operationId',
  'llm.request.type',
  'traceloop.span.kind',
];
/** Keys that tell a span's model, response first. */
const MODEL_KEYS = [
  C.ATTR_GEN_AI_RESPONSE_MODEL,
  C.ATTR_GEN_AI_REQUEST_MODEL,
  'llm.response.model_name',
  'llm.request.model_name',
  'llm.model_name',
  'embedding.model_name',
  'ai.response.model',
  'ai.model.id',
];
/** Longest LangChain metadata JSON parsed. */
const MAX_METADATA_JSON = 16_384;

/** The GenAI operation of raw attributes, through the alias tables. */
export function operationOf(attributes: Attributes): unknown {
  for (const key of OPERATION_KEYS) {
    const value = attributes[key];
    if (value === undefined) continue;
    const alias = key === C.ATTR_GEN_AI_OPERATION_NAME ? undefined : ALIASES.get(key);
    const mapped = alias?.transform ? alias.transform(value) : value;
    if (mapped !== undefined) return mapped;
  }
  return undefined;
}

/** A model name as prices compare it: lower case, no provider prefix, snapshot or `-latest`. */
export function modelKey(model: unknown): string | undefined {
  if (typeof model !== 'string' || model === '') return undefined;
  return model
    .toLowerCase()
    .replace(/^[a-z0-9_-]+\//, '')
    .replace(/-(?:latest|\d{4}-\d{2}-\d{2}|\d{8})$/, '');
}

function modelOf(attributes: Attributes): string | undefined {
  for (const key of MODEL_KEYS) {
    const m = modelKey(attributes[key]);
    if (m !== undefined) return m;
  }
  return undefined;
}

/** The `ls_provider` and `ls_model_name` of OpenInference's LangChain `metadata` JSON. */
function langChainMetadata(raw: AttributeValue | undefined): {
  provider?: unknown;
  model?: unknown;
} {
  if (typeof raw !== 'string' || raw.length > MAX_METADATA_JSON || !raw.includes('"ls_')) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const m = parsed as Record<string, unknown>;
    return { provider: m['ls_provider'], model: m['ls_model_name'] };
  } catch {
    return {};
  }
}

function errorFacts(span: ReadableSpan): { types: string[]; messages: string[] } {
  const types: string[] = [];
  const messages: string[] = [];
  const errorType = span.attributes[C.ATTR_ERROR_TYPE];
  if (typeof errorType === 'string') types.push(errorType);
  for (const event of span.events) {
    if (event.name !== 'exception') continue;
    const type = event.attributes?.[C.ATTR_EXCEPTION_TYPE];
    const message = event.attributes?.['exception.message'];
    if (typeof type === 'string') types.push(type);
    if (typeof message === 'string') messages.push(message);
  }
  if (span.status.message) messages.push(span.status.message);
  return { types, messages };
}

/** Adds `value` under `key` when `kept` and `added` lack it and the policy's check passes. */
function add(
  added: Attributes | undefined,
  kept: Attributes,
  allowed: ReadonlyMap<string, Check>,
  key: string,
  value: unknown,
): Attributes | undefined {
  if (value === undefined || kept[key] !== undefined || added?.[key] !== undefined) return added;
  if (allowed.get(key)?.(value) !== true) return added;
  const out = added ?? {};
  out[key] = value as AttributeValue;
  return out;
}

const UPPER = /[A-Z]/;

/**
 * The attributes to add to `kept` (the filtered, aliased attributes of
 * `span`): derived values that pass `allowed`, for keys `kept` lacks, or
 * `undefined` when there are none (the common case costs a few lookups;
 * agenttrace's own spans, which carry a run id, none).
 * `parent` is the live parent span, when the processor saw it start.
 */
export function contextAttributes(
  span: ReadableSpan,
  kept: Attributes,
  allowed: ReadonlyMap<string, Check>,
  parent: ParentSpanInfo | undefined,
): Attributes | undefined {
  // agenttrace's own spans (with a run id) say everything themselves
  if (kept[C.ATTR_RUN_ID] !== undefined) return undefined;
  const raw = span.attributes;
  let added: Attributes | undefined;

  // OpenInference: an AGENT span is named after its agent (LangChain's run name)
  if (raw['openinference.span.kind'] === 'AGENT' && isSafeLabel(span.name))
    added = add(added, kept, allowed, C.ATTR_GEN_AI_AGENT_NAME, span.name);

  // Traceloop: traceloop.entity.name names the tool, agent or workflow by span kind
  const kind = raw['traceloop.span.kind'];
  if (kind !== undefined) {
    const entity = raw['traceloop.entity.name'];
    if (kind === 'tool') added = add(added, kept, allowed, C.ATTR_GEN_AI_TOOL_NAME, entity);
    else if (kind === 'agent' || kind === 'workflow')
      added = add(added, kept, allowed, C.ATTR_GEN_AI_AGENT_NAME, entity);
  }

  // LangChain (through OpenInference): provider and model only in its metadata
  if (raw['metadata'] !== undefined) {
    const lc = langChainMetadata(raw['metadata']);
    added = add(added, kept, allowed, C.ATTR_GEN_AI_PROVIDER_NAME, normalizeProvider(lc.provider));
    added = add(added, kept, allowed, C.ATTR_GEN_AI_REQUEST_MODEL, lc.model);
  }

  // every provider in the GenAI spelling (OpenInference `xai`, old OpenLLMetry `OpenAI`)
  const provider = kept[C.ATTR_GEN_AI_PROVIDER_NAME];
  if (
    typeof provider === 'string' &&
    (UPPER.test(provider) || Object.hasOwn(PROVIDER_SPELLINGS, provider))
  ) {
    const normalized = normalizeProvider(provider);
    if (allowed.get(C.ATTR_GEN_AI_PROVIDER_NAME)?.(normalized) === true) {
      added ??= {};
      added[C.ATTR_GEN_AI_PROVIDER_NAME] = normalized as string;
    }
  }

  // AI SDK: embed / embedMany starting a trace (or under a remote parent) is a run
  const parentContext = span.parentSpanContext;
  if (
    AI_SDK_ROOTS.has(raw['ai.operationId']) &&
    (parentContext === undefined || parentContext.isRemote === true)
  )
    added = add(added, kept, allowed, C.ATTR_GEN_AI_OPERATION_NAME, C.OPERATION.invokeAgent);

  // a rate limit the AI SDK only spells out in the exception message
  if (span.status.code === SpanStatusCode.ERROR && kept[C.ATTR_FAILURE_CODE] === undefined)
    added = add(added, kept, allowed, C.ATTR_FAILURE_CODE, classifyForeignError(errorFacts(span)));

  // the same model call seen twice: a model span directly inside a model span
  if (parent !== undefined) {
    const operation = kept[C.ATTR_GEN_AI_OPERATION_NAME] ?? added?.[C.ATTR_GEN_AI_OPERATION_NAME];
    if (MODEL_OPERATIONS.has(operation) && MODEL_OPERATIONS.has(operationOf(parent.attributes))) {
      const inner = modelOf(raw);
      const outer = modelOf(parent.attributes);
      if (inner === undefined || outer === undefined || inner === outer)
        added = add(added, kept, allowed, C.ATTR_STEP_DUPLICATE_OF, parent.spanId);
    }
  }
  return added;
}
