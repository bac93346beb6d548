/**
 * Runs made with the SDK for the regression tests: arms of an agent (a
 * version or a variant) with a given number of failures, a model (its list
 * price sets the cost) and run durations. The durations are set on the
 * finished run spans before export, so the latency tests see exactly the
 * distribution a test asks for rather than the machine's timing noise.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { ClickHouseSpanExporter, type Store } from '@agenttrace/clickhouse-exporter';

/** One arm: `runs` runs of `agent`, the first `failures` of them failing. */
export interface ArmSpec {
  agent: string;
  version: string;
  variant?: string;
  runs: number;
  failures: number;
  /** Model of the run's one model step (500 input, 1,000 output tokens). */
  model: string;
  /** Duration of run `i`, in ms. */
  durationMs: (i: number) => number;
}

/** A copy of `span` lasting `ms` from its start (the SDK's span is left as it is). */
function lasting(span: ReadableSpan, ms: number): ReadableSpan {
  const [s, ns] = span.startTime;
  const endNs = ns + Math.round((ms % 1000) * 1e6);
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: [s + Math.floor(ms / 1000) + Math.floor(endNs / 1e9), endNs % 1e9],
    duration: [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)],
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    ended: true,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** The spans of `arms`, made in order with the SDK, run spans re-timed. */
export async function regressionSpans(arms: readonly ArmSpec[]): Promise<ReadableSpan[]> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(memory))],
  });
  const durations = new Map<string, number>();
  for (const a of arms) {
    const tracer = new AgentTracer({
      agentName: a.agent,
      agentVersion: a.version,
      tracerProvider: provider,
    });
    for (let i = 0; i < a.runs; i++)
      await tracer
        .run({ ...(a.variant !== undefined ? { variant: a.variant } : {}) }, async (run) => {
          durations.set(run.ref.runId, a.durationMs(i));
          await run.step('model', 'answer', { model: a.model, provider: 'openai' }, async (s) =>
            s.setUsage({ inputTokens: 500, outputTokens: 1_000 }),
          );
          if (i < a.failures) throw new Error('wrong answer');
        })
        .catch(() => undefined);
  }
  await provider.forceFlush();
  // before shutdown, which empties the in-memory exporter
  const finished = memory.getFinishedSpans();
  await provider.shutdown();
  return finished.map((span) => {
    const ms =
      span.attributes['gen_ai.operation.name'] === 'invoke_agent'
        ? durations.get(String(span.attributes['agenttrace.run.id']))
        : undefined;
    return ms === undefined ? span : lasting(span, ms);
  });
}

/** Writes the runs of `arms` into `store` with the real exporter; resolves once stored. */
export async function writeRegressionRuns(
  store: Store,
  arms: readonly ArmSpec[],
  database?: string,
): Promise<void> {
  const spans = await regressionSpans(arms);
  const exporter = new ClickHouseSpanExporter({ store, ...(database ? { database } : {}) });
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  if (result.code !== ExportResultCode.SUCCESS)
    throw result.error ?? new Error('export of the regression runs failed');
}

const steady = (base: number) => (i: number) => base + (i % 10);

/**
 * The standard set: `reg_fire` 2.0.0 fails more (12/30 vs 1/30), is 30 ms
 * slower and uses a pricier model than 1.0.0; `reg_near` 2.0.0 fails once
 * more (2/30 vs 1/30) with the same model and durations; `reg_few` has 5
 * runs an arm, 2.0.0 all failing, slower and pricier; `reg_ab` variant b
 * (25 runs) uses the pricier model against the control a (30 runs).
 */
export const REGRESSION_ARMS: readonly ArmSpec[] = [
  {
    agent: 'reg_fire',
    version: '1.0.0',
    runs: 30,
    failures: 1,
    model: 'gpt-4o-mini',
    durationMs: steady(100),
  },
  {
    agent: 'reg_near',
    version: '1.0.0',
    runs: 30,
    failures: 1,
    model: 'gpt-4o-mini',
    durationMs: steady(100),
  },
  {
    agent: 'reg_few',
    version: '1.0.0',
    runs: 5,
    failures: 0,
    model: 'gpt-4o-mini',
    durationMs: steady(100),
  },
  {
    agent: 'reg_ab',
    version: '1.0.0',
    variant: 'a',
    runs: 30,
    failures: 1,
    model: 'gpt-4o-mini',
    durationMs: steady(100),
  },
  {
    agent: 'reg_ab',
    version: '1.0.0',
    variant: 'b',
    runs: 25,
    failures: 1,
    model: 'gpt-4o',
    durationMs: steady(100),
  },
  // Candidates second: the newest version is the one whose first run is latest.
  {
    agent: 'reg_fire',
    version: '2.0.0',
    runs: 30,
    failures: 12,
    model: 'gpt-4o',
    durationMs: steady(130),
  },
  {
    agent: 'reg_near',
    version: '2.0.0',
    runs: 30,
    failures: 2,
    model: 'gpt-4o-mini',
    durationMs: steady(100),
  },
  {
    agent: 'reg_few',
    version: '2.0.0',
    runs: 5,
    failures: 5,
    model: 'gpt-4o',
    durationMs: steady(200),
  },
];
