/**
 * One call to trace an agent: a tracer provider whose spans pass the privacy
 * allowlist before a batch processor hands them to your exporter, with async
 * context propagation registered so steps find their run across `await`.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import {
  RESOURCE_DEPLOYMENT_ENVIRONMENT,
  RESOURCE_SERVICE_NAME,
  RESOURCE_SERVICE_VERSION,
} from './conventions.js';
import { AllowlistSpanProcessor } from './privacy/allowlist-span-processor.js';
import type { PrivacyPolicy, PrivacyPolicyOptions } from './privacy/policy.js';

/** Options of {@link createTracerProvider}. */
export interface TracerProviderSetupOptions {
  /** Where filtered spans go, e.g. a `ClickHouseSpanExporter` or an OTLP exporter. */
  exporter: SpanExporter;
  /** `service.name`. @default 'agent' */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`, e.g. `production`. */
  environment?: string;
  /** Privacy policy or extensions of the default one. @default the default policy */
  policy?: PrivacyPolicy | PrivacyPolicyOptions;
  /** Delay between batch exports, in ms. @default 1_000 */
  scheduledDelayMillis?: number;
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
  const attributes: Record<string, string> = {
    [RESOURCE_SERVICE_NAME]: options.serviceName ?? 'agent',
  };
  if (options.serviceVersion !== undefined)
    attributes[RESOURCE_SERVICE_VERSION] = options.serviceVersion;
  if (options.environment !== undefined)
    attributes[RESOURCE_DEPLOYMENT_ENVIRONMENT] = options.environment;
  const batch = new BatchSpanProcessor({
    exporter: options.exporter,
    scheduledDelayMillis: options.scheduledDelayMillis ?? 1_000,
  });
  return new TracerProvider({
    resource: resourceFromAttributes(attributes),
    spanProcessors: [new AllowlistSpanProcessor(batch, { policy: options.policy })],
  });
}
