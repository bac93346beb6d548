/**
 * The real Traceloop SDK (`@traceloop/node-server-sdk` `initialize`, its
 * `withWorkflow` / `withAgent` / `withTool` wrappers, its `openai`
 * instrumentation with content tracing on) around the real `openai` client
 * against the fake provider, through the SDK's processor (our allowlist
 * processor passed as Traceloop's `processor`) and through the collector
 * (Traceloop's own OTLP exporter pointed at it). A workflow with an agent is
 * a run named by the agent, a workflow alone a run named by
 * `traceloop.workflow.name`, with model and tool steps, tokens and cost; the
 * association properties, conversation id and content are not stored.
 *
 * `initialize` runs once per process, so one Traceloop set-up serves both
 * paths: its exporter and its extra processor route to the path under test.
 */
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter, type Store } from '@agenttrace/clickhouse-exporter';
import { AllowlistSpanProcessor } from '@agenttrace/sdk';
import {
  everythingStored,
  openPipeline,
  openTestStore,
  PIPELINE_PATHS,
  sqlRows,
  type PipelinePath,
} from './support/collector-pipeline.js';
import {
  FAKE_MODELS,
  FAKE_USAGE,
  PLANTED,
  PLANTED_VALUES,
  startFakeProvider,
  type FakeProvider,
} from './support/fake-provider.js';
import { runsInTraces, statsOf, stepShapes, type RunSummary } from './support/view-summary.js';

type TraceloopModules = NonNullable<
  NonNullable<Parameters<typeof traceloop.initialize>[0]>['instrumentModules']
>;

const APP = 'real-traceloop';
const TOOL_RESULT = 'PLANTED-toolresult-19fe refunded to card 4111 1111 1111 1111';
const SESSION = 'sess-PLANTED-5d31';
const CONVERSATION = 'conv-PLANTED-e802';

/** Hands spans to the processor of the path under test; records their trace ids. */
class RoutedProcessor implements SpanProcessor {
  delegate: SpanProcessor | undefined;
  readonly traceIds = new Set<string>();
  onStart(span: Span, parent: Context): void {
    this.delegate?.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    this.traceIds.add(span.spanContext().traceId);
    this.delegate?.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await this.delegate?.forceFlush();
  }
  async shutdown(): Promise<void> {
    await this.delegate?.shutdown();
  }
}

/** Traceloop's own exporter: the collector's OTLP endpoint on that path, else nowhere. */
class RoutedExporter implements SpanExporter {
  delegate: SpanExporter | undefined;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.delegate) this.delegate.export(spans, done);
    else done({ code: ExportResultCode.SUCCESS });
  }
  async forceFlush(): Promise<void> {
    await this.delegate?.forceFlush?.();
  }
  async shutdown(): Promise<void> {
    await this.delegate?.shutdown();
  }
}

const processor = new RoutedProcessor();
const exporter = new RoutedExporter();
let fake: FakeProvider;
let store: Store;

beforeAll(async () => {
  traceloop.initialize({
    appName: APP,
    disableBatch: true,
    traceContent: true,
    exporter,
    processor,
    // Traceloop's types name openai's CommonJS declarations; this file gets the ESM ones
    instrumentModules: { openAI: OpenAI as unknown as TraceloopModules['openAI'] },
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
  });
  fake = await startFakeProvider();
  store = await openTestStore('real-traceloop');
});
afterAll(async () => {
  await fake?.close();
  await store?.close();
});

const TOOLS = [
  {
    type: 'function' as const,
    function: { name: 'lookup_order', parameters: { type: 'object', properties: {} } },
  },
];

/** A workflow holding an agent with a tool loop, a workflow with one call, and a 429. */
async function runTraceloop(): Promise<void> {
  const client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.openaiBaseURL, maxRetries: 0 });
  fake.script({ kind: 'tool_call', name: 'lookup_order' }, { kind: 'text' });
  await traceloop.withWorkflow(
    {
      name: 'refund_workflow',
      associationProperties: { customer: PLANTED.email, session_id: SESSION },
      conversationId: CONVERSATION,
    },
    () =>
      traceloop.withAgent({ name: 'refund_agent' }, async () => {
        const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
          { role: 'system', content: PLANTED.system },
          { role: 'user', content: PLANTED.prompt },
        ];
        const first = await client.chat.completions.create({
          model: 'gpt-4.1',
          messages,
          tools: TOOLS,
        });
        const call = first.choices[0]!.message.tool_calls![0]!;
        // withTool resolves to `any`
        const result: string = String(
          await traceloop.withTool({ name: 'lookup_order' }, async () => TOOL_RESULT),
        );
        messages.push(first.choices[0]!.message, {
          role: 'tool',
          tool_call_id: call.id,
          content: result,
        });
        await client.chat.completions.create({ model: 'gpt-4.1', messages, tools: TOOLS });
      }),
  );

  fake.script({ kind: 'text' });
  await traceloop.withWorkflow({ name: 'digest_workflow' }, () =>
    client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: PLANTED.prompt }],
    }),
  );

  fake.script({ kind: 'error', status: 429 });
  await traceloop.withWorkflow({ name: 'limited_workflow' }, async () => {
    await expect(
      client.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
}

/** Routes Traceloop's spans into `store` along `path`; returns the trace ids written. */
async function runOn(path: PipelinePath): Promise<string[]> {
  const pipeline = await openPipeline(store, path, APP);
  const own = new ClickHouseSpanExporter({ store, flushIntervalMs: 50 });
  if (path === 'processor')
    processor.delegate = new AllowlistSpanProcessor(new SimpleSpanProcessor(own));
  else exporter.delegate = new OTLPTraceExporter(pipeline.otlp);
  processor.traceIds.clear();
  try {
    await runTraceloop();
    await traceloop.forceFlush();
    await processor.forceFlush();
    await own.forceFlush();
    await pipeline.flush();
  } finally {
    processor.delegate = undefined;
    exporter.delegate = undefined;
    await pipeline.close();
  }
  return [...processor.traceIds];
}

describe.each(PIPELINE_PATHS)('the Traceloop SDK through the %s', (path) => {
  let runs: Record<string, RunSummary>;
  let traces: string[];

  beforeAll(async () => {
    traces = await runOn(path);
    runs = await runsInTraces(store, traces);
  }, 120_000);

  it('makes the agent and the workflow without one runs, named by entity and workflow name', () => {
    expect(traces).toHaveLength(3);
    expect(Object.keys(runs).sort()).toEqual(['digest_workflow', 'refund_agent']);
  });

  it('stores the agent run with its model and tool steps, dated model kept and priced', () => {
    const { run, steps } = runs['refund_agent']!;
    expect(run).toMatchObject({
      status: 'success',
      step_count: 3,
      input_tokens: 2 * FAKE_USAGE.openai.input,
      output_tokens: 2 * FAKE_USAGE.openai.output,
    });
    expect(stepShapes(steps)).toEqual([
      ['model', FAKE_MODELS.openai, 'openai'],
      ['model', FAKE_MODELS.openai, 'openai'],
      ['tool', 'lookup_order', ''],
    ]);
    expect(run.cost_usd).toBeCloseTo((240 * 2 + 60 * 8) / 1e6, 9);
  });

  it('stores the workflow run with its one model step', () => {
    const { run, steps } = runs['digest_workflow']!;
    expect(run).toMatchObject({ status: 'success', step_count: 1, input_tokens: 120 });
    expect(stepShapes(steps)).toEqual([['model', FAKE_MODELS.openai, 'openai']]);
  });

  it('gets no step for the 429: the openai instrumentation never ends a failed call', async () => {
    // @traceloop/instrumentation-openai 0.27 ends its span only in the
    // promise's success path (`_thenUnwrap`): the refused call is not exported
    const [row] = await sqlRows<{ spans: number; names: string[] }>(
      store,
      `SELECT toUInt32(count()) AS spans, groupArray(SpanName) AS names FROM otel_traces
       WHERE lower(TraceId) IN {traces:Array(String)} AND SpanAttributes['gen_ai.agent.name'] = 'limited_workflow'`,
      { traces },
    );
    expect(row).toEqual({ spans: 1, names: ['limited_workflow.workflow'] });
  });

  it('counts the same tokens in agent_stats as in agent_runs', async () => {
    const stats = await statsOf(store, APP);
    const [runTotals] = await sqlRows<{ input: number }>(
      store,
      `SELECT toUInt32(sum(input_tokens)) AS input FROM agent_runs WHERE service = {service:String}`,
      { service: APP },
    );
    const model = stats.filter((s) => s.step_type === 'model');
    expect(model.reduce((n, s) => n + s.input_tokens, 0)).toBe(runTotals!.input);
    expect(runTotals!.input).toBeGreaterThan(0);
  });

  it('stores none of the content, association properties or conversation id', async () => {
    const stored = [
      await everythingStored(store),
      JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_steps')),
      JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_runs')),
    ].join('\n');
    for (const secret of [...PLANTED_VALUES, TOOL_RESULT, SESSION, CONVERSATION, '4111 1111'])
      expect(stored).not.toContain(secret);
  });
});
