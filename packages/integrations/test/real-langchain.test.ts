/**
 * Real LangChain.js (`@langchain/core` 1, `@langchain/openai` ChatOpenAI
 * against the fake provider, a tool, a simple tool loop in a
 * RunnableLambda) under the two third-party instrumentations that patch its
 * callback manager, OpenInference's and Traceloop's, through the SDK's
 * processor and through the collector. Each comes out of the views as runs
 * with their model and tool steps, the provider from LangChain's metadata
 * or the instrumentation, tokens, cost and a 429 as model/rate_limited, and
 * none of the planted content is stored.
 */
import { context, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { LangChainInstrumentation as OpenInferenceLangChain } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { LangChainInstrumentation as TraceloopLangChain } from '@traceloop/instrumentation-langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Store } from '@agenttrace/clickhouse-exporter';
import {
  everythingStored,
  openPipeline,
  openTestStore,
  PIPELINE_PATHS,
  sqlRows,
  type Pipeline,
} from './support/collector-pipeline.js';
import {
  FAKE_MODELS,
  FAKE_USAGE,
  PLANTED,
  PLANTED_VALUES,
  startFakeProvider,
  type FakeProvider,
} from './support/fake-provider.js';
import { runsByAgent, statsOf, stepShapes, type RunSummary } from './support/view-summary.js';

const TOOL_RESULT = 'PLANTED-toolresult-6b20 refunded to card 4111 1111 1111 1111';
const SESSION = 'sess-PLANTED-77aa';
/** Where an instrumentation's spans go while another one is under test. */
const NOWHERE: TracerProvider = new BasicTracerProvider();

let fake: FakeProvider;
let store: Store;
const openInference = new OpenInferenceLangChain({ tracerProvider: NOWHERE });
/**
 * Made only once OpenInference's tests are done: Traceloop patches the
 * callback manager as it is constructed, and its patch replaces a child
 * run's inherited CallbackManager with its own handler alone, so other
 * handlers (OpenInference's, ours) no longer see the nested runs.
 */
let traceloop: TraceloopLangChain | undefined;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  openInference.manuallyInstrument(CallbackManagerModule);
  fake = await startFakeProvider();
  store = await openTestStore('real-langchain');
});
afterAll(async () => {
  await fake?.close();
  await store?.close();
});

/** A LangChain tool loop: the model asks for `lookup_order`, gets its result, answers. */
function refundAgent() {
  const lookup = tool(async () => TOOL_RESULT, {
    name: 'lookup_order',
    description: 'Looks an order up',
    schema: z.object({ order_id: z.string(), email: z.string() }),
  });
  const llm = new ChatOpenAI({
    model: 'gpt-4.1',
    apiKey: 'sk-fake',
    configuration: { baseURL: fake.openaiBaseURL },
    maxRetries: 0,
  });
  const withTools = llm.bindTools([lookup]);
  const agent = RunnableLambda.from(async (prompt: string, config) => {
    const messages: BaseMessage[] = [new HumanMessage(prompt)];
    for (let turn = 0; turn < 3; turn++) {
      const reply = await withTools.invoke(messages, config);
      messages.push(reply);
      if (!reply.tool_calls?.length) return reply.text;
      for (const call of reply.tool_calls) messages.push(await lookup.invoke(call, config));
    }
    return '';
  }).withConfig({
    runName: 'refund_agent',
    metadata: { session_id: SESSION, customer: PLANTED.email },
  });
  return { agent, llm };
}

/** The tool loop, then a call the provider refuses with a 429. */
async function runLangChain(): Promise<void> {
  const { agent, llm } = refundAgent();
  fake.script({ kind: 'tool_call', name: 'lookup_order' }, { kind: 'text' });
  await agent.invoke(PLANTED.prompt);
  fake.script({ kind: 'error', status: 429 });
  await expect(llm.invoke([new HumanMessage(PLANTED.prompt)])).rejects.toThrow(/429/);
  // LangChain runs callback handlers in the background: the spans end there
  await awaitAllCallbacks();
}

const SECRETS = [...PLANTED_VALUES, TOOL_RESULT, SESSION, '4111 1111', 'Rue de Rivoli'];

async function storedEverywhere(): Promise<string> {
  return [
    await everythingStored(store),
    JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_steps')),
    JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_runs')),
    JSON.stringify(await sqlRows(store, 'SELECT * FROM agent_failures')),
  ].join('\n');
}

describe.each(PIPELINE_PATHS)('LangChain.js under OpenInference through the %s', (path) => {
  let pipeline: Pipeline;
  let runs: Record<string, RunSummary>;

  beforeAll(async () => {
    pipeline = await openPipeline(store, path, `real-langchain-openinference-${path}`);
    openInference.setTracerProvider(pipeline.provider);
    try {
      await runLangChain();
    } finally {
      openInference.setTracerProvider(NOWHERE);
    }
    await pipeline.flush();
    runs = await runsByAgent(store, pipeline.serviceName);
  }, 120_000);
  afterAll(async () => pipeline?.close());

  it('makes the chain a run named by its runName, with model and tool steps and the provider from ls_provider', async () => {
    expect(Object.keys(runs).sort()).toEqual(['refund_agent', pipeline.serviceName].sort());
    const { run, steps } = runs['refund_agent']!;
    expect(run).toMatchObject({
      status: 'success',
      step_count: 3,
      input_tokens: 2 * FAKE_USAGE.openai.input,
      output_tokens: 2 * FAKE_USAGE.openai.output,
    });
    // OpenInference's LangChain spans carry the requested model only (llm.model_name)
    expect(stepShapes(steps)).toEqual([
      ['model', 'gpt-4.1', 'openai'],
      ['model', 'gpt-4.1', 'openai'],
      ['tool', 'lookup_order', ''],
    ]);
    expect(run.cost_usd).toBeCloseTo((240 * 2 + 60 * 8) / 1e6, 9);
  });

  it('makes the refused call a run of its own, failed model/rate_limited', async () => {
    const { run, steps } = runs[pipeline.serviceName]!;
    expect(run).toMatchObject({
      status: 'failure',
      failure_type: 'model',
      failure_code: 'rate_limited',
    });
    expect(steps.map((s) => [s.step_type, s.model, s.provider, s.failure_code])).toEqual([
      ['model', 'gpt-4.1', 'openai', 'rate_limited'],
    ]);
  });

  it('counts the same steps and tokens in agent_stats', async () => {
    const stats = await statsOf(store, pipeline.serviceName);
    expect(stats.map((s) => [s.step_type, s.model, s.provider, s.steps, s.input_tokens])).toEqual([
      ['model', 'gpt-4.1', 'openai', 3, 240],
      ['tool', '', '', 1, 0],
    ]);
  });

  it('stores none of the prompt, answer, tool input or result, metadata or session id', async () => {
    const stored = await storedEverywhere();
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
  });
});

describe.each(PIPELINE_PATHS)('LangChain.js under Traceloop through the %s', (path) => {
  let pipeline: Pipeline;
  let runs: Record<string, RunSummary>;

  beforeAll(async () => {
    pipeline = await openPipeline(store, path, `real-langchain-traceloop-${path}`);
    if (traceloop === undefined) {
      // traceContent on: it records prompts, and the allowlist must drop them
      traceloop = new TraceloopLangChain({ traceContent: true });
      traceloop.manuallyInstrument({ callbackManagerModule: CallbackManagerModule });
    }
    traceloop.setTracerProvider(pipeline.provider);
    try {
      // Traceloop's handler parents its spans on the active context only (not
      // on LangChain's parent run): the application's own span holds them together
      await pipeline.provider.getTracer('app').startActiveSpan('refund_agent', async (span) => {
        try {
          const { agent } = refundAgent();
          fake.script({ kind: 'tool_call', name: 'lookup_order' }, { kind: 'text' });
          await agent.invoke(PLANTED.prompt);
          await awaitAllCallbacks();
        } finally {
          span.end();
        }
      });
      fake.script({ kind: 'error', status: 429 });
      await expect(refundAgent().llm.invoke([new HumanMessage(PLANTED.prompt)])).rejects.toThrow(
        /429/,
      );
      await awaitAllCallbacks();
    } finally {
      traceloop?.setTracerProvider(NOWHERE);
    }
    await pipeline.flush();
    runs = await runsByAgent(store, pipeline.serviceName);
  }, 120_000);
  afterAll(async () => pipeline?.close());

  it('makes the traced loop one run with model and tool steps, named by the chain class', async () => {
    expect(Object.keys(runs)).toHaveLength(2);
    const loop = Object.values(runs).find((r) => r.run.step_count === 3)!;
    expect(loop.run).toMatchObject({
      status: 'success',
      input_tokens: 2 * FAKE_USAGE.openai.input,
      output_tokens: 2 * FAKE_USAGE.openai.output,
    });
    // it names a tool by its class (traceloop.entity.name = DynamicStructuredTool) and
    // sets no gen_ai.tool.name; its provider for tools and chains is 'langchain'
    expect(stepShapes(loop.steps)).toEqual([
      ['model', 'gpt-4.1', 'openai'],
      ['model', 'gpt-4.1', 'openai'],
      ['tool', '', 'langchain'],
    ]);
    expect(loop.run.cost_usd).toBeCloseTo((240 * 2 + 60 * 8) / 1e6, 9);
    // Traceloop's handler reads LangChain 1.x's runName from the wrong argument: the
    // workflow is named by the chain's class, and that name (traceloop.workflow.name) wins
    expect(loop.run.agent).toBe('RunnableLambda');
  });

  it('classifies the refused call as model/rate_limited', async () => {
    const limited = Object.values(runs).find((r) => r.run.status === 'failure')!;
    expect(limited.run).toMatchObject({ failure_type: 'model', failure_code: 'rate_limited' });
    expect(limited.steps.map((s) => [s.step_type, s.model, s.failure_code])).toEqual([
      ['model', 'gpt-4.1', 'rate_limited'],
    ]);
  });

  it('stores none of the prompt, answer, tool input or result, metadata or session id', async () => {
    const stored = await storedEverywhere();
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
    expect(FAKE_MODELS.openai).toBe('gpt-4.1-2025-04-14');
  });
});
