/**
 * Attribute names other instrumentations use for what the GenAI conventions
 * name differently (old GenAI spellings, OpenInference, the Vercel AI SDK,
 * OpenLLMetry / Traceloop). Their values are moved under the conventions'
 * names, then checked by the same rules; the original keys never leave the
 * process. Names read from the sources: OpenInference
 * `openinference-semantic-conventions/src/trace/SemanticConventions.ts`,
 * OpenLLMetry `ai-semantic-conventions/src/SemanticAttributes.ts` and
 * `traceloop-sdk/src/lib/tracing/decorators.ts`, the AI SDK's `ai` package.
 * What needs more than one key (span kind, span name, parent) is in
 * `context-attributes.ts`.
 */
import * as C from '../conventions.js';

/** Maps a foreign value onto the conventions' value, or `undefined` to drop it. */
export type AliasTransform = (value: unknown) => unknown;

/** Where a foreign key's value goes. */
export interface Alias {
  readonly target: string;
  readonly transform?: AliasTransform;
}

/** Provider spellings of OpenInference (`llm.provider`), LangChain (`ls_provider`) and old OpenLLMetry (`OpenAI`) → GenAI names. */
export const PROVIDER_SPELLINGS: Readonly<Record<string, string>> = {
  xai: 'x_ai',
  mistralai: 'mistral_ai',
  mistral: 'mistral_ai',
  google_vertexai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  google_genai: 'gcp.gemini',
  amazon_bedrock: 'aws.bedrock',
  bedrock: 'aws.bedrock',
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
};

/**
 * A provider name in the GenAI spelling: lower case, known aliases mapped.
 * Applied to the provider after aliasing, whatever key it came from (kept
 * out of the alias entries so the OTTL translation still copies them).
 */
export const normalizeProvider: AliasTransform = (v) => {
  if (typeof v !== 'string') return undefined;
  const lower = v.toLowerCase();
  return Object.hasOwn(PROVIDER_SPELLINGS, lower) ? PROVIDER_SPELLINGS[lower] : lower;
};

const providerFromAiSdk: AliasTransform = (v) =>
  typeof v === 'string' ? v.split('.')[0]?.replace(/-/g, '_') : undefined;

const OPENINFERENCE_KINDS: Record<string, string> = {
  AGENT: C.OPERATION.invokeAgent,
  TOOL: C.OPERATION.executeTool,
  LLM: C.OPERATION.chat,
  RETRIEVER: C.OPERATION.retrieval,
  EMBEDDING: C.OPERATION.embeddings,
  CHAIN: C.OPERATION.invokeWorkflow,
};

const AI_SDK_OPERATIONS: Record<string, string> = {
  'ai.generateText': C.OPERATION.invokeAgent,
  'ai.streamText': C.OPERATION.invokeAgent,
  'ai.generateObject': C.OPERATION.invokeAgent,
  'ai.streamObject': C.OPERATION.invokeAgent,
  'ai.generateText.doGenerate': C.OPERATION.chat,
  'ai.streamText.doStream': C.OPERATION.chat,
  'ai.generateObject.doGenerate': C.OPERATION.chat,
  'ai.streamObject.doStream': C.OPERATION.chat,
  'ai.toolCall': C.OPERATION.executeTool,
  'ai.embed.doEmbed': C.OPERATION.embeddings,
  'ai.embedMany.doEmbed': C.OPERATION.embeddings,
};

/** Old OpenLLMetry `llm.request.type` values. */
const LLM_REQUEST_TYPES: Record<string, string> = {
  chat: C.OPERATION.chat,
  completion: C.OPERATION.textCompletion,
};

const TRACELOOP_KINDS: Record<string, string> = {
  agent: C.OPERATION.invokeAgent,
  tool: C.OPERATION.executeTool,
  workflow: C.OPERATION.invokeWorkflow,
};

const lookup =
  (table: Record<string, string>): AliasTransform =>
  (v) =>
    typeof v === 'string' ? table[v] : undefined;

/** Foreign key → conventions key. Applied only when the target is not set already. */
export const ALIASES: ReadonlyMap<string, Alias> = new Map<string, Alias>([
  ['gen_ai.system', { target: C.ATTR_GEN_AI_PROVIDER_NAME }],
  ['gen_ai.usage.prompt_tokens', { target: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS }],
  ['gen_ai.usage.completion_tokens', { target: C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS }],
  // cache and reasoning spellings: the conventions before the cache_write rename, GenAI drafts, old OpenLLMetry, Strands
  [
    C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    { target: C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS },
  ],
  [
    'gen_ai.usage.cache_write_input_tokens',
    { target: C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS },
  ],
  [
    'gen_ai.usage.cache_creation_input_tokens',
    { target: C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS },
  ],
  ['gen_ai.usage.cache_read_input_tokens', { target: C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS }],
  ['gen_ai.usage.reasoning_tokens', { target: C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS }],
  [
    'llm.request.type',
    { target: C.ATTR_GEN_AI_OPERATION_NAME, transform: lookup(LLM_REQUEST_TYPES) },
  ],
  // OpenInference
  ['llm.model_name', { target: C.ATTR_GEN_AI_REQUEST_MODEL }],
  ['llm.request.model_name', { target: C.ATTR_GEN_AI_REQUEST_MODEL }],
  ['llm.response.model_name', { target: C.ATTR_GEN_AI_RESPONSE_MODEL }],
  ['embedding.model_name', { target: C.ATTR_GEN_AI_REQUEST_MODEL }],
  ['reranker.model_name', { target: C.ATTR_GEN_AI_REQUEST_MODEL }],
  ['llm.provider', { target: C.ATTR_GEN_AI_PROVIDER_NAME }],
  ['llm.system', { target: C.ATTR_GEN_AI_PROVIDER_NAME }],
  ['agent.name', { target: C.ATTR_GEN_AI_AGENT_NAME }],
  [
    'llm.finish_reason',
    {
      target: C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
      transform: (v) => (typeof v === 'string' ? [v] : undefined),
    },
  ],
  [
    'llm.token_count.completion_details.reasoning',
    { target: C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS },
  ],
  ['llm.token_count.prompt', { target: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS }],
  ['llm.token_count.completion', { target: C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS }],
  [
    'llm.token_count.prompt_details.cache_read',
    { target: C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS },
  ],
  [
    'llm.token_count.prompt_details.cache_write',
    { target: C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS },
  ],
  ['llm.usage.prompt_tokens', { target: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS }],
  ['llm.usage.completion_tokens', { target: C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS }],
  ['tool.name', { target: C.ATTR_GEN_AI_TOOL_NAME }],
  [
    'openinference.span.kind',
    { target: C.ATTR_GEN_AI_OPERATION_NAME, transform: lookup(OPENINFERENCE_KINDS) },
  ],
  [
    'traceloop.span.kind',
    { target: C.ATTR_GEN_AI_OPERATION_NAME, transform: lookup(TRACELOOP_KINDS) },
  ],
  // set on every span inside a Traceloop workflow or agent: it names the run
  ['traceloop.workflow.name', { target: C.ATTR_GEN_AI_AGENT_NAME }],
  [
    'ai.operationId',
    { target: C.ATTR_GEN_AI_OPERATION_NAME, transform: lookup(AI_SDK_OPERATIONS) },
  ],
  ['ai.telemetry.functionId', { target: C.ATTR_GEN_AI_AGENT_NAME }],
  ['ai.model.id', { target: C.ATTR_GEN_AI_REQUEST_MODEL }],
  ['ai.model.provider', { target: C.ATTR_GEN_AI_PROVIDER_NAME, transform: providerFromAiSdk }],
  ['ai.response.model', { target: C.ATTR_GEN_AI_RESPONSE_MODEL }],
  [
    'ai.response.finishReason',
    {
      target: C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
      transform: (v) => (typeof v === 'string' ? [v] : undefined),
    },
  ],
  [
    'ai.response.msToFirstChunk',
    {
      target: C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
      transform: (v) => (typeof v === 'number' ? v / 1000 : undefined),
    },
  ],
  ['ai.usage.promptTokens', { target: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS }],
  ['ai.usage.completionTokens', { target: C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS }],
  ['ai.usage.inputTokens', { target: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS }],
  ['ai.usage.outputTokens', { target: C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS }],
  ['ai.usage.cachedInputTokens', { target: C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS }],
  ['ai.usage.reasoningTokens', { target: C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS }],
  // embeddings: `ai.embed.doEmbed` reports its usage as one count
  ['ai.usage.tokens', { target: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS }],
  ['ai.toolCall.name', { target: C.ATTR_GEN_AI_TOOL_NAME }],
]);
