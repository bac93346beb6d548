/** A real OTel pipeline for tests: provider → allowlist → simple processor → in-memory exporter. */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  AgentTracer,
  AllowlistSpanProcessor,
  type AgentTracerOptions,
  type PrivacyPolicyOptions,
} from '../../src/index.js';

let contextManagerSet = false;

/** Registers AsyncLocalStorage context propagation once per process. */
export function useAsyncContext(): void {
  if (contextManagerSet) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerSet = true;
}

/** Builds a pipeline; `spans()` returns what reached the exporter, after the allowlist. */
export function createPipeline(
  options: { policy?: PrivacyPolicyOptions; resource?: Record<string, string> } = {},
) {
  useAsyncContext();
  const exporter = new InMemorySpanExporter();
  const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter), {
    policy: options.policy,
  });
  const provider = new BasicTracerProvider({
    spanProcessors: [allowlist],
    resource: resourceFromAttributes({ 'service.name': 'test-service', ...options.resource }),
  });
  return {
    exporter,
    provider,
    allowlist,
    agent: (
      agentName: string,
      rest: Omit<AgentTracerOptions, 'agentName' | 'tracerProvider'> = {},
    ) => new AgentTracer({ agentName, tracerProvider: provider, ...rest }),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    byName: (name: string): ReadableSpan => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1)
        throw new Error(`expected one span named ${name}, found ${found.length}`);
      return found[0]!;
    },
  };
}
