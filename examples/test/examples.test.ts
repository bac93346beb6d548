import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AllowlistSpanProcessor, conventions as C } from '@agenttrace/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAbVariants } from '../ab-variants.js';
import { runMultiAgent } from '../multi-agent.js';
import { runMultiProvider } from '../multi-provider.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
});
const runs = () =>
  exporter
    .getFinishedSpans()
    .filter((s) => s.attributes[C.ATTR_GEN_AI_OPERATION_NAME] === 'invoke_agent');

describe('multi-agent example', () => {
  it('nests the researcher, forks a new trace and runs three parallel analysts', async () => {
    expect(await runMultiAgent(provider)).toBe(2);
    const byOrigin = (o: string) => runs().filter((r) => r.attributes[C.ATTR_RUN_ORIGIN] === o);
    const [root] = byOrigin('root');
    expect(root?.attributes[C.ATTR_RUN_STATUS]).toBe('partial');
    expect(byOrigin('nested').map((r) => r.attributes[C.ATTR_GEN_AI_AGENT_NAME])).toEqual([
      'researcher',
    ]);
    const [fork] = byOrigin('fork');
    expect(fork?.spanContext().traceId).not.toBe(root?.spanContext().traceId);
    expect(
      byOrigin('parallel')
        .map((r) => r.attributes[C.ATTR_RUN_STATUS])
        .sort(),
    ).toEqual(['failure', 'success', 'success']);
  });
});

describe('multi-provider example', () => {
  it('falls back from a rate-limited provider to the next, down to the third', async () => {
    const served = await runMultiProvider(provider, 8);
    expect(served).toEqual({ openai: 6, anthropic: 1, x_ai: 1 });
    const calls = exporter
      .getFinishedSpans()
      .filter((s) => s.attributes[C.ATTR_STEP_TYPE] === 'model');
    const limited = calls.filter((s) => s.attributes[C.ATTR_FAILURE_CODE] === 'rate_limited');
    expect(limited.map((s) => s.attributes[C.ATTR_GEN_AI_PROVIDER_NAME])).toEqual([
      'openai',
      'openai',
      'anthropic',
    ]);
    expect(new Set(calls.map((s) => s.attributes[C.ATTR_GEN_AI_REQUEST_MODEL]))).toEqual(
      new Set(['gpt-4o-mini', 'claude-haiku-4-5', 'grok-3-mini']),
    );
  });
});

describe('A/B variants example', () => {
  it('labels runs with variant and template version and links one feedback span to each', async () => {
    const means = await runAbVariants(provider, 6);
    expect(Object.keys(means).sort()).toEqual(['a', 'b']);
    expect(
      runs()
        .map(
          (r) =>
            `${String(r.attributes[C.ATTR_VARIANT])}:${String(r.attributes[C.ATTR_PROMPT_VERSION])}`,
        )
        .sort(),
    ).toEqual(['a:v1', 'a:v1', 'a:v1', 'b:v2', 'b:v2', 'b:v2']);
    // Feedback on a finished run: a span referencing it, carrying the conventions' evaluation event.
    const feedback = exporter
      .getFinishedSpans()
      .filter((s) =>
        s.events.some(
          (e) =>
            e.name === C.EVENT_GEN_AI_EVALUATION_RESULT &&
            e.attributes?.[C.ATTR_GEN_AI_EVALUATION_NAME] === 'resolved',
        ),
      );
    expect(feedback).toHaveLength(6);
    const runIds = new Set(runs().map((r) => r.attributes[C.ATTR_RUN_ID]));
    for (const f of feedback) expect(runIds.has(f.attributes[C.ATTR_FEEDBACK_RUN_ID])).toBe(true);
  });
});
