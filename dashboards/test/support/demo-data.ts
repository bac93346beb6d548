/**
 * Demo data for the dashboard tests, made the way an application makes it:
 * `AgentTracer` runs through the privacy `AllowlistSpanProcessor` and the
 * `ClickHouseSpanExporter` into a migrated store. Two agents, two versions,
 * variants a/b, two environments, two model providers with a fallback from
 * one to the other, retried and failing tools, failed retrievals, feedback;
 * then the tool misbehaviour of the examples' ops agent (signals).
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  AgentFailureError,
  AgentTracer,
  AllowlistSpanProcessor,
  type Run,
  type RunRef,
} from '@agenttrace/sdk';
import { ClickHouseSpanExporter, type Store } from '@agenttrace/clickhouse-exporter';
import { runMisbehavingAgent } from '../../../examples/misbehaving-agent.js';

/** One demo run's script. */
interface Scenario {
  variant: string;
  /** 503s the orders API answers before it works; 3 or more and the tool fails. */
  ordersApiFailures: number;
  /** The knowledge base finds nothing: the run fails with `empty_retrieval`. */
  noDocs?: boolean;
  /** The primary model answers 429, and the run falls back to the other provider. */
  primaryRateLimited?: boolean;
  /** Which provider is primary. */
  primary: 'openai' | 'anthropic';
  /** Feedback score given to the run, if any. */
  helpfulness?: number;
}

const MODELS = {
  openai: { model: 'gpt-4o-mini', response: 'gpt-4o-mini-2024-07-18' },
  anthropic: { model: 'claude-sonnet-4-5', response: 'claude-sonnet-4-5-20250929' },
} as const;

/** Key of the demo's session pseudonyms (a test key, not a secret). */
const DEMO_SESSION_KEY = 'agenttrace-dashboards-demo-session-key';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function httpError(message: string, status: number): Error {
  return Object.assign(new Error(message), { status });
}

async function callModel(run: Run, provider: 'openai' | 'anthropic', fail: boolean): Promise<void> {
  const { model, response } = MODELS[provider];
  await run.step('model', 'draft_answer', { model, provider }, async (step) => {
    await sleep(provider === 'openai' ? 4 : 7);
    if (fail) {
      step.setHttpStatus(429);
      throw httpError('rate limited', 429);
    }
    step.chunk();
    step.setUsage({ inputTokens: 620, outputTokens: 48, cachedInputTokens: 256 });
    step.setResponse({ model: response, finishReasons: ['stop'] });
  });
}

async function handle(tracer: AgentTracer, s: Scenario, sessionId: string): Promise<void> {
  let ref: RunRef | undefined;
  try {
    await tracer.run(
      { variant: s.variant, promptTemplate: { name: 'support_answer', version: 'v3' }, sessionId },
      async (run) => {
        ref = run.ref;
        await run.step('plan', 'analyze_query', async () => sleep(2));
        await run.step('retrieve', 'search_kb', { dataSource: 'support_kb' }, async () => {
          await sleep(3);
          if (s.noDocs) throw new AgentFailureError({ type: 'retrieval', code: 'empty_retrieval' });
        });
        let failures = s.ordersApiFailures;
        try {
          await run.retry(
            'tool',
            'orders_api',
            { attempts: 3, initialDelayMs: 1 },
            async (step) => {
              await sleep(2);
              if (failures-- > 0) {
                step.setHttpStatus(503);
                throw httpError('orders API unavailable', 503);
              }
              step.setHttpStatus(200);
            },
          );
        } catch {
          // The agent answers without the order status: the run ends partial.
        }
        const fallback = s.primary === 'openai' ? 'anthropic' : 'openai';
        try {
          await callModel(run, s.primary, s.primaryRateLimited === true);
        } catch {
          await callModel(run, fallback, false);
        }
        await run.step('respond', 'send_reply', async () => sleep(1));
      },
    );
  } catch {
    // A failed run is data here, not an error.
  }
  if (ref !== undefined && s.helpfulness !== undefined)
    tracer.recordFeedback(ref, 'helpfulness', s.helpfulness);
}

interface AgentSpec {
  agentName: string;
  agentVersion: string;
  environment: string;
  scenarios: Scenario[];
}

const AGENTS: AgentSpec[] = [
  {
    agentName: 'support_agent',
    agentVersion: '1.0.0',
    environment: 'prod',
    scenarios: [
      { variant: 'a', primary: 'openai', ordersApiFailures: 0, helpfulness: 1 },
      { variant: 'a', primary: 'openai', ordersApiFailures: 2, helpfulness: 0.5 },
      {
        variant: 'a',
        primary: 'openai',
        ordersApiFailures: 0,
        primaryRateLimited: true,
        helpfulness: 1,
      },
      { variant: 'b', primary: 'anthropic', ordersApiFailures: 0, helpfulness: 1 },
      { variant: 'b', primary: 'anthropic', ordersApiFailures: 3, helpfulness: 0 },
      { variant: 'b', primary: 'anthropic', ordersApiFailures: 0, noDocs: true },
    ],
  },
  {
    agentName: 'support_agent',
    agentVersion: '1.1.0',
    environment: 'prod',
    scenarios: [
      { variant: 'b', primary: 'anthropic', ordersApiFailures: 1, helpfulness: 1 },
      { variant: 'b', primary: 'anthropic', ordersApiFailures: 0, primaryRateLimited: true },
      { variant: 'a', primary: 'openai', ordersApiFailures: 0, noDocs: true, helpfulness: 0 },
    ],
  },
  {
    agentName: 'triage_agent',
    agentVersion: '2.0.0',
    environment: 'staging',
    scenarios: [
      { variant: 'a', primary: 'openai', ordersApiFailures: 0, helpfulness: 0.75 },
      { variant: 'a', primary: 'openai', ordersApiFailures: 4, primaryRateLimited: true },
    ],
  },
];

/** What {@link seedDemo} wrote. */
export interface DemoData {
  /** When the first run started and the last span ended. */
  readonly from: Date;
  readonly to: Date;
  readonly runs: number;
}

let contextManagerSet = false;

/**
 * Runs the demo agents and writes their spans to `database` of `store`
 * (already migrated). Resolves once every span is stored.
 */
export async function seedDemo(store: Store, database: string): Promise<DemoData> {
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const from = new Date();
  let runs = 0;
  for (const agent of AGENTS) {
    const exporter = new ClickHouseSpanExporter({ store, database, flushIntervalMs: 20 });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'support-api',
        'deployment.environment.name': agent.environment,
      }),
      // sessions (the sessions dashboard): stored as the key's pseudonyms
      spanProcessors: [
        new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter), {
          sessionKey: DEMO_SESSION_KEY,
        }),
      ],
    });
    const tracer = new AgentTracer({
      agentName: agent.agentName,
      agentVersion: agent.agentVersion,
      tracerProvider: provider,
    });
    for (const [i, scenario] of agent.scenarios.entries()) {
      // two turns per conversation
      await handle(tracer, scenario, `demo-${agent.agentName}-${agent.environment}-${i >> 1}`);
      runs++;
    }
    await provider.forceFlush();
    await exporter.forceFlush();
    await provider.shutdown();
  }
  // An agent whose tool steps fire signals (loop, retry storm, propagation), for
  // the signals dashboard; no model calls, so the provider panels stay as above.
  const exporter = new ClickHouseSpanExporter({ store, database, flushIntervalMs: 20 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'ops-api',
      'deployment.environment.name': 'prod',
    }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  runs += await runMisbehavingAgent(provider, { toolsOnly: true });
  await provider.forceFlush();
  await exporter.forceFlush();
  await provider.shutdown();
  return { from, to: new Date(), runs };
}
