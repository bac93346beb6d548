/**
 * The privacy allowlist: which attribute keys may leave the process, each with
 * the rule its value must satisfy. Everything else is dropped and counted.
 * The default policy keeps names, labels, counts and timings; never text.
 */
import * as C from '../conventions.js';
import { CheckTable } from './check-table.js';
import { isSafeMetadataKey, METADATA_KEY_PATTERN } from './metadata-key.js';
import { MAX_COUNT } from './numbers.js';
import { assertValidRule, compileRule, rule, type AttributeRule, type Check } from './rules.js';

/** Keys that carry free text or stack traces: no policy can allow them. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  'exception.message',
  'exception.stacktrace',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.retrieval.query.text',
  'gen_ai.retrieval.documents',
  // semantic-conventions-genai model/gen-ai/registry.yaml at 11069855 (docs/conventions.md)
  'gen_ai.tool.definitions',
  'gen_ai.tool.description',
  'gen_ai.agent.description',
  'gen_ai.memory.records',
  'gen_ai.memory.query.text',
  'gen_ai.evaluation.explanation',
  'gen_ai.skill.description',
  'gen_ai.skill.source.uri',
  'input.value',
  'output.value',
  'db.query.text',
  'db.statement',
  'url.full',
  'url.query',
  'http.url',
]);

/** Prefixes of keys that carry content in common instrumentations: no policy can allow them. */
export const FORBIDDEN_PREFIXES: readonly string[] = [
  // every key under the message keys, a delta of the input messages included
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  // old indexed prompts (gen_ai.prompt.0.content) and prompt variables; not the keys in SAFE_PROMPT_KEYS
  'gen_ai.prompt.',
  'gen_ai.completion.',
  'ai.prompt',
  'ai.response.text',
  'llm.input_messages.',
  'llm.output_messages.',
  'llm.prompts',
  'retrieval.documents.',
  'traceloop.entity.input',
  'traceloop.entity.output',
  // AI SDK embeddings, tool calls and objects; OpenInference embeddings; OpenLLMetry MCP and guardrails
  'ai.value',
  'ai.embedding',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'ai.response.object',
  'ai.response.toolCalls',
  'embedding.embeddings.',
  'embedding.text',
  'mcp.response.value',
  'gen_ai.guardrail.input',
  'gen_ai.guardrail.output',
];

/** Keys under a forbidden prefix that name, never hold, content: a prompt template's name and version. */
export const SAFE_PROMPT_KEYS: ReadonlySet<string> = new Set([
  C.ATTR_GEN_AI_PROMPT_NAME,
  C.ATTR_GEN_AI_PROMPT_VERSION,
]);

/** Options to extend the default policy. Every entry is typed; there is no "any string". */
export interface PrivacyPolicyOptions {
  /** Extra span attribute keys (also applied to event and link attributes). @default {} */
  spanAttributes?: Readonly<Record<string, AttributeRule>>;
  /** Extra resource attribute keys. @default {} */
  resourceAttributes?: Readonly<Record<string, AttributeRule>>;
  /**
   * Rules for string metadata set with `setMetadata`, by metadata key (without
   * the `agenttrace.meta.` prefix; snake_case). Numbers (up to eight
   * significant digits) and booleans need no rule.
   * @default {}
   */
  metadata?: Readonly<Record<string, AttributeRule>>;
}

/** A resolved, immutable policy. Build it with {@link createPrivacyPolicy}. */
export interface PrivacyPolicy {
  readonly spanAttributes: ReadonlyMap<string, AttributeRule>;
  readonly eventAttributes: ReadonlyMap<string, AttributeRule>;
  readonly resourceAttributes: ReadonlyMap<string, AttributeRule>;
  /** The same rules compiled, as the filter runs them. */
  readonly checks: {
    readonly span: ReadonlyMap<string, Check>;
    readonly event: ReadonlyMap<string, Check>;
    readonly resource: ReadonlyMap<string, Check>;
  };
  /** The same checks as the filter looks them up, once per attribute. */
  readonly tables: {
    readonly span: CheckTable;
    readonly event: CheckTable;
    readonly resource: CheckTable;
  };
}

const label = rule.label();
const model = rule.model();
/** Token and chunk counts: realistic for one span, and never nine digits. */
const count = rule.integer(0, MAX_COUNT);
const id = rule.id();

const DEFAULT_SPAN_ATTRIBUTES: Record<string, AttributeRule> = {
  [C.ATTR_GEN_AI_OPERATION_NAME]: rule.enum(C.OPERATION_NAMES),
  [C.ATTR_GEN_AI_AGENT_NAME]: label,
  [C.ATTR_GEN_AI_AGENT_VERSION]: label,
  [C.ATTR_GEN_AI_AGENT_ID]: label,
  [C.ATTR_GEN_AI_PROVIDER_NAME]: label,
  [C.ATTR_GEN_AI_REQUEST_MODEL]: model,
  [C.ATTR_GEN_AI_RESPONSE_MODEL]: model,
  [C.ATTR_GEN_AI_REQUEST_STREAM]: rule.boolean(),
  // tight bounds: float noise (0.699999988079071) is kept
  [C.ATTR_GEN_AI_REQUEST_TEMPERATURE]: rule.number(0, 10, { maxDigits: 17 }),
  [C.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: rule.integer(0, 10_000_000),
  [C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: rule.array(label),
  // seconds, from timers with many digits; a day at most
  [C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: rule.number(0, 86_400, { maxDigits: 17 }),
  [C.ATTR_GEN_AI_TOOL_NAME]: label,
  [C.ATTR_GEN_AI_TOOL_TYPE]: rule.enum(['function', 'extension', 'datastore']),
  [C.ATTR_GEN_AI_DATA_SOURCE_ID]: label,
  [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: count,
  [C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: count,
  [C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: count,
  [C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]: count,
  [C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: count,
  [C.ATTR_GEN_AI_RESPONSE_ID]: rule.providerId(),
  [C.ATTR_GEN_AI_TOOL_CALL_ID]: rule.providerId(),
  [C.ATTR_GEN_AI_WORKFLOW_NAME]: label,
  [C.ATTR_GEN_AI_TRANSFER_MODE]: rule.enum(C.TRANSFER_MODES),
  [C.ATTR_GEN_AI_TRANSFER_TARGET_NAME]: label,
  [C.ATTR_GEN_AI_CALLER_TYPE]: rule.enum(C.CALLER_TYPES),
  [C.ATTR_GEN_AI_CALLER_NAME]: label,
  [C.ATTR_GEN_AI_PROMPT_NAME]: label,
  [C.ATTR_GEN_AI_PROMPT_VERSION]: rule.label({ maxLength: 64 }),
  [C.ATTR_GEN_AI_EVALUATION_NAME]: label,
  [C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE]: rule.number(-1_000_000, 1_000_000),
  [C.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]: label,
  [C.ATTR_ERROR_TYPE]: label,
  [C.ATTR_HTTP_RESPONSE_STATUS_CODE]: rule.integer(100, 599),
  'http.request.method': rule.enum([
    'GET',
    'HEAD',
    'POST',
    'PUT',
    'DELETE',
    'CONNECT',
    'OPTIONS',
    'TRACE',
    'PATCH',
    '_OTHER',
  ]),
  'server.address': label,
  'server.port': rule.integer(0, 65535),
  [C.ATTR_RUN_ID]: id,
  [C.ATTR_RUN_PARENT_ID]: id,
  [C.ATTR_RUN_ORIGIN_ID]: id,
  [C.ATTR_FEEDBACK_RUN_ID]: id,
  [C.ATTR_RUN_STATUS]: rule.enum(C.RUN_STATUSES),
  [C.ATTR_RUN_ORIGIN]: rule.enum(C.RUN_ORIGINS),
  [C.ATTR_STEP_TYPE]: rule.enum(C.STEP_TYPES),
  [C.ATTR_STEP_NAME]: label,
  [C.ATTR_STEP_SEQ]: rule.integer(1, 10_000_000),
  [C.ATTR_STEP_ATTEMPT]: rule.integer(1, 1000),
  [C.ATTR_STEP_MAX_ATTEMPTS]: rule.integer(1, 1000),
  [C.ATTR_STEP_RETRY_DELAY_MS]: rule.integer(0, 86_400_000),
  [C.ATTR_STEP_DUPLICATE_OF]: id,
  [C.ATTR_STREAM_CHUNKS]: count,
  [C.ATTR_FAILURE_TYPE]: rule.enum(C.FAILURE_TYPES),
  [C.ATTR_FAILURE_CODE]: rule.label({ maxLength: 64 }),
  [C.ATTR_FAILURE_STEP]: label,
  [C.ATTR_VARIANT]: rule.label({ maxLength: 64 }),
  [C.ATTR_PROMPT_TEMPLATE]: label,
  [C.ATTR_PROMPT_VERSION]: rule.label({ maxLength: 64 }),
  [C.ATTR_PRIVACY_DROPPED]: rule.integer(0, 1_000_000),
};

const DEFAULT_EVENT_ATTRIBUTES: Record<string, AttributeRule> = {
  [C.ATTR_EXCEPTION_TYPE]: label,
  [C.ATTR_EXCEPTION_ESCAPED]: rule.boolean(),
};

const DEFAULT_RESOURCE_ATTRIBUTES: Record<string, AttributeRule> = {
  [C.RESOURCE_SERVICE_NAME]: label,
  [C.RESOURCE_SERVICE_VERSION]: label,
  [C.RESOURCE_SERVICE_NAMESPACE]: label,
  [C.RESOURCE_SERVICE_INSTANCE_ID]: label,
  [C.RESOURCE_DEPLOYMENT_ENVIRONMENT]: rule.label({ maxLength: 64 }),
  'deployment.environment': rule.label({ maxLength: 64 }),
  'telemetry.sdk.name': label,
  'telemetry.sdk.language': label,
  'telemetry.sdk.version': label,
  'host.arch': label,
  'os.type': label,
  'process.runtime.name': label,
  'process.runtime.version': label,
  'cloud.provider': label,
  'cloud.region': label,
};

/** True for keys no policy may allow. */
export function isForbiddenKey(key: string): boolean {
  if (FORBIDDEN_KEYS.has(key)) return true;
  if (SAFE_PROMPT_KEYS.has(key)) return false;
  for (const prefix of FORBIDDEN_PREFIXES) if (key.startsWith(prefix)) return true;
  return false;
}

function mapOf(
  what: string,
  base: Record<string, AttributeRule>,
  extra: Readonly<Record<string, AttributeRule>> | undefined,
): Map<string, AttributeRule> {
  const out = new Map(Object.entries(base));
  for (const [key, r] of Object.entries(extra ?? {})) {
    if (isForbiddenKey(key))
      throw new TypeError(
        `${what}["${key}"] carries content and can never be allowed (got a ${r.kind} rule)`,
      );
    if (
      key.startsWith(C.METADATA_PREFIX) &&
      !isSafeMetadataKey(key.slice(C.METADATA_PREFIX.length))
    )
      throw new TypeError(
        `${what}["${key}"]: a metadata key must match ${METADATA_KEY_PATTERN.source} and not look like personal data (got ${JSON.stringify(key.slice(C.METADATA_PREFIX.length))})`,
      );
    assertValidRule(key, r);
    out.set(key, r);
  }
  return out;
}

/**
 * Builds a policy: the defaults plus the user's typed entries. Throws a
 * `TypeError` naming the key for a malformed rule or a forbidden key.
 *
 * @example
 * createPrivacyPolicy({ metadata: { tier: rule.enum(['free', 'pro']) } })
 */
export function createPrivacyPolicy(options: PrivacyPolicyOptions = {}): PrivacyPolicy {
  const metadata: Record<string, AttributeRule> = {};
  for (const [key, r] of Object.entries(options.metadata ?? {}))
    metadata[C.METADATA_PREFIX + key] = r;
  const spanAttributes = mapOf('spanAttributes', DEFAULT_SPAN_ATTRIBUTES, {
    ...options.spanAttributes,
    ...metadata,
  });
  const eventAttributes = new Map(spanAttributes);
  for (const [key, r] of Object.entries(DEFAULT_EVENT_ATTRIBUTES)) eventAttributes.set(key, r);
  const resourceAttributes = mapOf(
    'resourceAttributes',
    DEFAULT_RESOURCE_ATTRIBUTES,
    options.resourceAttributes,
  );
  const compile = (m: ReadonlyMap<string, AttributeRule>) =>
    new Map([...m].map(([k, r]) => [k, compileRule(r)] as const));
  const checks = {
    span: compile(spanAttributes),
    event: compile(eventAttributes),
    resource: compile(resourceAttributes),
  };
  return {
    spanAttributes,
    eventAttributes,
    resourceAttributes,
    checks,
    tables: {
      span: new CheckTable(spanAttributes, checks.span),
      event: new CheckTable(eventAttributes, checks.event),
      resource: new CheckTable(resourceAttributes, checks.resource),
    },
  };
}
