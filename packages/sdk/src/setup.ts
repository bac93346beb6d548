/**
 * One call to trace an agent: a tracer provider whose spans pass the privacy
 * allowlist before a batch processor hands them to your exporter, with async
 * context propagation registered so steps find their run across `await`.
 * The OTel SDK environment variables apply as in the OTel SDK; explicit
 * options win over them.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import {
  RESOURCE_DEPLOYMENT_ENVIRONMENT,
  RESOURCE_SERVICE_NAME,
  RESOURCE_SERVICE_VERSION,
} from './conventions.js';
import { readOtelEnv } from './otel-env.js';
import { AllowlistSpanProcessor } from './privacy/allowlist-span-processor.js';
import type { PrivacyPolicy, PrivacyPolicyOptions } from './privacy/policy.js';
import { SessionPseudonymizer, type SessionKey } from './privacy/pseudonymize.js';
import { readSessionEnv } from './session-env.js';

/** Options of {@link createTracerProvider}. */
export interface TracerProviderSetupOptions {
  /** Where filtered spans go, e.g. a `ClickHouseSpanExporter` or an OTLP exporter. */
  exporter: SpanExporter;
  /** `service.name`. @default `OTEL_SERVICE_NAME`, else 'agent' */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`, e.g. `production`. */
  environment?: string;
  /** Privacy policy or extensions of the default one. @default the default policy */
  policy?: PrivacyPolicy | PrivacyPolicyOptions;
  /** Delay between batch exports, in ms. @default `OTEL_BSP_SCHEDULE_DELAY`, else 1_000 */
  scheduledDelayMillis?: number;
  /** How long one export may take, in ms. @default `OTEL_BSP_EXPORT_TIMEOUT`, else 30_000 */
  exportTimeoutMillis?: number;
  /** Spans held for export; more are dropped. @default `OTEL_BSP_MAX_QUEUE_SIZE`, else 2_048 */
  maxQueueSize?: number;
  /** Spans per export. @default `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, else 512 */
  maxExportBatchSize?: number;
  /**
   * Which traces are recorded.
   * @default `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, else parent-based always-on
   */
  sampler?: Sampler;
  /** Record and export nothing (spans are non-recording). @default `OTEL_SDK_DISABLED`, else false */
  disabled?: boolean;
  /**
   * The HMAC-SHA-256 key (32+ bytes) under which session ids
   * (`tracer.run({ sessionId })`, `gen_ai.conversation.id`, `session.id`…)
   * become pseudonyms (`agenttrace.session.id`). Without a key, session ids
   * are dropped, never stored. Use the collector's key to get the same
   * pseudonyms on both paths.
   * @default `AGENTTRACE_SESSION_KEY_FILE`'s content, else `AGENTTRACE_SESSION_KEY`, else none
   */
  sessionKey?: SessionKey | SessionPseudonymizer;
  /**
   * Also store the pseudonym of an end-user id (`tracer.run({ userId })`,
   * `user.id`…) as `agenttrace.user.id`; needs a `sessionKey`.
   * @default `AGENTTRACE_PSEUDONYMIZE_USER_ID`, else false
   */
  pseudonymizeUserId?: boolean;
}

let contextManagerRegistered = false;

/**
 * Builds a provider: allowlist → batch processor → `exporter`, and registers
 * an AsyncLocalStorage context manager once per process (unless another one
 * is already registered).
 *
 * @example
 * const provider = createTracerProvider({ exporter: new ClickHouseSpanExporter(), serviceName: 'support' });
 * const tracer = new AgentTracer({ agentName: 'support', tracerProvider: provider });
 */
export function createTracerProvider(options: TracerProviderSetupOptions): TracerProvider {
  if (!contextManagerRegistered) {
    // returns false when the application registered one already; that one stays
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerRegistered = true;
  }
  const env = readOtelEnv();
  // the environment only for what the options leave open, and before anything starts: a bad key throws here
  const sessionEnv =
    options.sessionKey === undefined || options.pseudonymizeUserId === undefined
      ? readSessionEnv()
      : undefined;
  const key = options.sessionKey ?? sessionEnv?.sessionKey;
  const sessionKey =
    key === undefined || key instanceof SessionPseudonymizer ? key : new SessionPseudonymizer(key);
  const attributes: Record<string, string> = {};
  if (options.serviceName !== undefined) attributes[RESOURCE_SERVICE_NAME] = options.serviceName;
  if (options.serviceVersion !== undefined)
    attributes[RESOURCE_SERVICE_VERSION] = options.serviceVersion;
  if (options.environment !== undefined)
    attributes[RESOURCE_DEPLOYMENT_ENVIRONMENT] = options.environment;
  const batch = new BatchSpanProcessor({
    exporter: options.exporter,
    scheduledDelayMillis: options.scheduledDelayMillis ?? env.scheduledDelayMillis ?? 1_000,
    exportTimeoutMillis: options.exportTimeoutMillis ?? env.exportTimeoutMillis,
    maxQueueSize: options.maxQueueSize ?? env.maxQueueSize,
    maxExportBatchSize: options.maxExportBatchSize ?? env.maxExportBatchSize,
  });
  const disabled = options.disabled ?? env.disabled;
  return new TracerProvider({
    // default < environment < options: each merge's argument wins
    resource: resourceFromAttributes({ [RESOURCE_SERVICE_NAME]: 'agent' })
      .merge(env.resource)
      .merge(resourceFromAttributes(attributes)),
    sampler: disabled ? new AlwaysOffSampler() : (options.sampler ?? env.sampler),
    spanProcessors: [
      new AllowlistSpanProcessor(batch, {
        policy: options.policy,
        sessionKey,
        pseudonymizeUserId: options.pseudonymizeUserId ?? sessionEnv?.pseudonymizeUserId,
      }),
    ],
  });
}
