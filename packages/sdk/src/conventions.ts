/**
 * Every attribute name, span name part and enum agenttrace writes or reads,
 * defined once. Names follow the OpenTelemetry GenAI semantic conventions
 * where one exists (`gen_ai.*`, `error.type`, …); what the conventions do not
 * cover lives under `agenttrace.*`.
 *
 * The SQL views in `@agenttrace/clickhouse-exporter` read these same names;
 * a test there checks the two stay in step.
 */

/** OTel GenAI and general semantic-convention attribute names we use. */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_AGENT_VERSION = 'gen_ai.agent.version';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Seconds from request to the first streamed chunk (GenAI conventions). */
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const ATTR_GEN_AI_DATA_SOURCE_ID = 'gen_ai.data_source.id';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
/** Input tokens written to the provider's cache: the current spelling, the one stored. */
export const ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = 'gen_ai.usage.cache_write.input_tokens';
/**
 * The earlier spelling of {@link ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS}:
 * read (the allowlist moves it to the new name; views read both), never written.
 */
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
/** The provider's id of one response (`chatcmpl-…`, `resp_…`, `msg_…`). */
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
/** The provider's id of one tool call (`call_…`, `toolu_…`). */
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
/** Name of a workflow (`invoke_workflow` spans, and the runs inside one). */
export const ATTR_GEN_AI_WORKFLOW_NAME = 'gen_ai.workflow.name';
/** How control passes in a transfer (handoff): {@link TRANSFER_MODES}. */
export const ATTR_GEN_AI_TRANSFER_MODE = 'gen_ai.transfer.mode';
/** The agent a transfer (handoff) goes to. */
export const ATTR_GEN_AI_TRANSFER_TARGET_NAME = 'gen_ai.transfer.target.name';
/** Type of the immediate logical caller of an agent: {@link CALLER_TYPES}. */
export const ATTR_GEN_AI_CALLER_TYPE = 'gen_ai.caller.type';
/** Name of the immediate logical caller of an agent (an agent or workflow name). */
export const ATTR_GEN_AI_CALLER_NAME = 'gen_ai.caller.name';
/** Name of a prompt template: a label, never the template's text. */
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
/** Version of a prompt template. */
export const ATTR_GEN_AI_PROMPT_VERSION = 'gen_ai.prompt.version';
export const ATTR_GEN_AI_EVALUATION_NAME = 'gen_ai.evaluation.name';
export const ATTR_GEN_AI_EVALUATION_SCORE_VALUE = 'gen_ai.evaluation.score.value';
export const ATTR_GEN_AI_EVALUATION_SCORE_LABEL = 'gen_ai.evaluation.score.label';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_ESCAPED = 'exception.escaped';

/** agenttrace's own attributes, for what the conventions do not name. */
export const ATTR_RUN_ID = 'agenttrace.run.id';
export const ATTR_RUN_PARENT_ID = 'agenttrace.run.parent_id';
export const ATTR_RUN_STATUS = 'agenttrace.run.status';
export const ATTR_RUN_ORIGIN = 'agenttrace.run.origin';
export const ATTR_RUN_ORIGIN_ID = 'agenttrace.run.origin_id';
export const ATTR_STEP_TYPE = 'agenttrace.step.type';
export const ATTR_STEP_NAME = 'agenttrace.step.name';
/** 1-based order in which the steps of a run started; span start times are often whole milliseconds. */
export const ATTR_STEP_SEQ = 'agenttrace.step.seq';
export const ATTR_STEP_ATTEMPT = 'agenttrace.step.attempt';
export const ATTR_STEP_MAX_ATTEMPTS = 'agenttrace.step.max_attempts';
export const ATTR_STEP_RETRY_DELAY_MS = 'agenttrace.step.retry_delay_ms';
/**
 * Set by the allowlist on a model span nested directly in another model span
 * of the same call (a provider SDK's span inside an instrumentation's): the
 * outer span's id. Views count such a step's tokens and cost once, not twice.
 */
export const ATTR_STEP_DUPLICATE_OF = 'agenttrace.step.duplicate_of';
export const ATTR_STREAM_CHUNKS = 'agenttrace.stream.chunks';
export const ATTR_FAILURE_TYPE = 'agenttrace.failure.type';
export const ATTR_FAILURE_CODE = 'agenttrace.failure.code';
export const ATTR_FAILURE_STEP = 'agenttrace.failure.step';
export const ATTR_VARIANT = 'agenttrace.variant';
export const ATTR_PROMPT_TEMPLATE = 'agenttrace.prompt.template';
export const ATTR_PROMPT_VERSION = 'agenttrace.prompt.version';
export const ATTR_FEEDBACK_RUN_ID = 'agenttrace.feedback.run_id';
/** How many attributes, names or messages the allowlist removed from this span. */
export const ATTR_PRIVACY_DROPPED = 'agenttrace.privacy.dropped';
/**
 * The pseudonymous session of a span: an HMAC-SHA-256 pseudonym of the
 * conversation, session or thread id it carried, written only by the
 * allowlist's pseudonymizer (never a raw id).
 */
export const ATTR_SESSION_ID = 'agenttrace.session.id';
/** The end user's pseudonym, written only by the pseudonymizer and only when enabled. */
export const ATTR_USER_ID = 'agenttrace.user.id';
/** The GenAI conventions' conversation id: where `tracer.run({ sessionId })` puts the raw id. */
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
/** The general conventions' end-user id: where `tracer.run({ userId })` puts the raw id. */
export const ATTR_USER_ID_RAW = 'user.id';
/** Prefix of user metadata set with `step.setMetadata` / `run.setMetadata`. */
export const METADATA_PREFIX = 'agenttrace.meta.';

/** Resource attribute names kept by the default policy. */
export const RESOURCE_SERVICE_NAME = 'service.name';
export const RESOURCE_SERVICE_VERSION = 'service.version';
export const RESOURCE_SERVICE_NAMESPACE = 'service.namespace';
export const RESOURCE_SERVICE_INSTANCE_ID = 'service.instance.id';
export const RESOURCE_DEPLOYMENT_ENVIRONMENT = 'deployment.environment.name';

/** `gen_ai.operation.name` values (OTel GenAI conventions). */
export const OPERATION = {
  invokeAgent: 'invoke_agent',
  executeTool: 'execute_tool',
  chat: 'chat',
  retrieval: 'retrieval',
  textCompletion: 'text_completion',
  generateContent: 'generate_content',
  embeddings: 'embeddings',
  createAgent: 'create_agent',
  invokeWorkflow: 'invoke_workflow',
  plan: 'plan',
} as const;
export const OPERATION_NAMES: readonly string[] = Object.values(OPERATION);

/** The kinds of step an agent run is made of. */
export const STEP_TYPES = ['plan', 'retrieve', 'tool', 'model', 'respond', 'other'] as const;
/** A step kind: plan, retrieve, tool, model, respond or other. */
export type StepType = (typeof STEP_TYPES)[number];

/** How a run ended. `partial`: it returned, but something it did failed. */
export const RUN_STATUSES = ['success', 'failure', 'partial'] as const;
/** A run outcome. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How a run came to be: top level, inside another run's step, a fork, or one of a parallel set. */
export const RUN_ORIGINS = ['root', 'nested', 'fork', 'parallel'] as const;
/** A run's origin. */
export type RunOrigin = (typeof RUN_ORIGINS)[number];

/** Where a failure comes from. */
export const FAILURE_TYPES = ['tool', 'model', 'retrieval', 'orchestration'] as const;
/** A failure's source. */
export type FailureType = (typeof FAILURE_TYPES)[number];

/**
 * Failure codes agenttrace assigns itself. Users may record other codes as
 * long as they are safe labels (see the privacy policy).
 */
export const FAILURE_CODES = [
  'timeout',
  'rate_limited',
  'schema_invalid',
  'empty_retrieval',
  'max_iterations',
  'auth',
  'network',
  'unavailable',
  'invalid_request',
  'context_length',
  'content_filter',
  'cancelled',
  'not_found',
  'error',
] as const;
/** A built-in failure code. */
export type FailureCode = (typeof FAILURE_CODES)[number];

/** `gen_ai.operation.name` written for each step type, where the conventions have one. */
export const STEP_OPERATION: Readonly<Record<StepType, string | undefined>> = {
  plan: OPERATION.plan,
  retrieve: OPERATION.retrieval,
  tool: OPERATION.executeTool,
  model: OPERATION.chat,
  respond: undefined,
  other: undefined,
};

/** The failure type an error escaping from a step of each type is given. */
export const STEP_FAILURE_TYPE: Readonly<Record<StepType, FailureType>> = {
  plan: 'orchestration',
  retrieve: 'retrieval',
  tool: 'tool',
  model: 'model',
  respond: 'orchestration',
  other: 'orchestration',
};

/** Span names for what is not a run or step. */
export const SPAN_NAME_FEEDBACK = 'feedback';
/** Name given to a span whose own name was not a safe label and nothing better was known. */
export const SPAN_NAME_REDACTED = 'redacted';
/** Event recording one classified failure on a run or step span. */
export const EVENT_FAILURE = 'agenttrace.failure';
/** Event marking the first streamed chunk of a model step. */
export const EVENT_FIRST_CHUNK = 'gen_ai.first_chunk';
/** The conventions' evaluation event: feedback on a run or a response. */
export const EVENT_GEN_AI_EVALUATION_RESULT = 'gen_ai.evaluation.result';
/** Name given to an event whose own name was not a safe label. */
export const EVENT_NAME_REDACTED = 'redacted';

/** GenAI provider names (`gen_ai.provider.name` well-known values). */
export const PROVIDER_NAMES = [
  'openai',
  'anthropic',
  'aws.bedrock',
  'azure.ai.inference',
  'azure.ai.openai',
  'cohere',
  'deepseek',
  'gcp.gemini',
  'gcp.gen_ai',
  'gcp.vertex_ai',
  'groq',
  'ibm.watsonx.ai',
  'mistral_ai',
  'perplexity',
  'x_ai',
  'moonshot_ai',
] as const;

/**
 * `gen_ai.provider.name` of a run span when the agent names no provider of
 * its own (an in-process agent). The conventions require the attribute on
 * `invoke_agent`, and allow a custom value when no well-known one applies;
 * the attribute names the telemetry flavour, and these run spans carry
 * agenttrace's own `agenttrace.*` attributes. docs/conventions.md.
 */
export const DEFAULT_AGENT_PROVIDER = 'agenttrace';

/** `gen_ai.transfer.mode` values: the caller waits and resumes, or hands over the rest. */
export const TRANSFER_MODES = ['return_to_caller', 'pass_control'] as const;
/** A transfer mode. */
export type TransferMode = (typeof TRANSFER_MODES)[number];

/** `gen_ai.caller.type` values. */
export const CALLER_TYPES = ['agent', 'workflow'] as const;
/** A caller type. */
export type CallerType = (typeof CALLER_TYPES)[number];
