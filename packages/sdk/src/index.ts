/**
 * @agenttrace/sdk: trace AI agent runs and steps as OpenTelemetry spans, and
 * keep prompts, responses and personal data out of them with a strict
 * allowlist.
 */
export { AgentTracer } from './agent-tracer.js';
export { createTracerProvider } from './setup.js';
export type { TracerProviderSetupOptions } from './setup.js';
export type { AgentTracerOptions, RunOptions, FeedbackOptions } from './agent-tracer.js';
export { Run } from './run.js';
export type { RunRef, HandoffOptions } from './run.js';
export { Step } from './step.js';
export type { StepOptions, Transfer, Usage } from './step.js';
export type { Metadata } from './metadata.js';
export type { RetryOptions } from './retry.js';
export { AgentFailureError, classifyError } from './failure.js';
export type { Failure, ClassifiedError } from './failure.js';
export { createAgentHooks } from './hooks.js';
export type { AgentHooks, AgentHooksOptions, LlmResponseLike } from './hooks.js';
export { AllowlistSpanProcessor } from './privacy/allowlist-span-processor.js';
export type {
  AllowlistSpanProcessorOptions,
  AllowlistStats,
} from './privacy/allowlist-span-processor.js';
export {
  createPrivacyPolicy,
  isForbiddenKey,
  FORBIDDEN_KEYS,
  FORBIDDEN_PREFIXES,
} from './privacy/policy.js';
export type { PrivacyPolicy, PrivacyPolicyOptions } from './privacy/policy.js';
export { rule, ID_PATTERN, PROVIDER_ID_PATTERN, isSafeProviderId } from './privacy/rules.js';
export type { AttributeRule } from './privacy/rules.js';
export {
  looksSensitive,
  isSafeLabel,
  LABEL_PATTERN,
  SENSITIVE_PATTERNS,
} from './privacy/sensitive.js';
export { filterSpan, isSafeName, NAME_VERBS } from './privacy/filter-span.js';
export {
  isSafeStatusMessage,
  STATUS_MESSAGE_MAX_LENGTH,
  STATUS_MESSAGE_PATTERN,
} from './privacy/status-message.js';
export { maskSnapshotDates } from './privacy/model-name.js';
export { ALIASES } from './privacy/aliases.js';
export { DropCounter } from './privacy/drop-counter.js';
export {
  SessionPseudonymizer,
  SessionKeyError,
  readSessionKeyFile,
  isPseudonymShaped,
  PSEUDONYM_PATTERN,
  MIN_SESSION_KEY_BYTES,
} from './privacy/pseudonymize.js';
export type { PseudonymKind, SessionKey } from './privacy/pseudonymize.js';
export { SESSION_SOURCE_KEYS, isSessionSourceKey } from './privacy/session-sources.js';
export { readSessionEnv } from './session-env.js';
export type { SessionEnv } from './session-env.js';
export * as conventions from './conventions.js';
export { VERSION } from './version.js';
