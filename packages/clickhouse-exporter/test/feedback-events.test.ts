/**
 * agent_feedback (0022) on chDB: the conventions' gen_ai.evaluation.result
 * event, on a run span, on a feedback span referencing a finished run, and
 * with only gen_ai.response.id, beside a feedback span of the earlier shape
 * (gen_ai.evaluation.* on the span); through the allowlist and the exporter.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSpanExporter, createStore, migrate, type Store } from '../src/index.js';

const RESPONSE_ID = 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT';
let store: Store;
const runIds: Record<string, string> = {};

interface FeedbackRow {
  run_id: string;
  metric: string;
  score_value: number | null;
  score_label: string;
  response_id: string;
  source: string;
  agent: string;
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-feedback-')) });
  await migrate(store.client);
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 20 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'feedback-test' }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const tracer = new AgentTracer({ agentName: 'support', tracerProvider: provider });
  // on the open run span
  await tracer.run(async (run) => {
    runIds.open = run.id;
    tracer.recordFeedback(run, 'relevance', 4, { label: 'relevant' });
  });
  // on a feedback span referencing the finished run
  const ref = await tracer.run(async (run) => run.ref);
  runIds.finished = ref.runId;
  tracer.recordFeedback(ref, 'helpfulness', 1, { label: 'thumbs_up' });
  // only the response id: matched to the model step that produced it
  await tracer.run(async (run) => {
    runIds.response = run.id;
    await run.step('model', 'answer', { model: 'gpt-4o-mini', provider: 'openai' }, async (s) => {
      s.span.setAttribute('gen_ai.response.id', RESPONSE_ID);
    });
  });
  const evaluator = provider.getTracer('an-evaluator');
  const judged = evaluator.startSpan('evaluate', {}, ROOT_CONTEXT);
  judged.addEvent('gen_ai.evaluation.result', {
    'gen_ai.evaluation.name': 'accuracy',
    'gen_ai.evaluation.score.value': 0.5,
    'gen_ai.response.id': RESPONSE_ID,
    'gen_ai.evaluation.explanation': 'Jane Doe asked about her invoice',
  });
  judged.end();
  // a feedback span of the earlier shape
  const old = await tracer.run(async (run) => run.ref);
  runIds.old = old.runId;
  evaluator
    .startSpan(
      'feedback csat',
      {
        root: true,
        attributes: {
          'gen_ai.agent.name': 'support',
          'gen_ai.evaluation.name': 'csat',
          'gen_ai.evaluation.score.value': 5,
          'agenttrace.feedback.run_id': old.runId,
        },
        links: [{ context: { traceId: old.traceId, spanId: old.spanId, traceFlags: 1 } }],
      },
      ROOT_CONTEXT,
    )
    .end();
  await provider.forceFlush();
  await provider.shutdown();
});

afterAll(async () => {
  await store?.close();
});

async function feedback(): Promise<FeedbackRow[]> {
  const result = await store.client.query({
    query: `SELECT run_id, metric, score_value, score_label, response_id, source, agent
      FROM agent_feedback ORDER BY metric`,
    format: 'JSONEachRow',
  });
  return result.json<FeedbackRow>();
}

describe('agent_feedback', () => {
  it('reads the evaluation event and the earlier feedback span, each tied to its run', async () => {
    expect(await feedback()).toEqual([
      {
        run_id: runIds.response,
        metric: 'accuracy',
        score_value: 0.5,
        score_label: '',
        response_id: RESPONSE_ID,
        source: 'event',
        agent: 'support',
      },
      {
        run_id: runIds.old,
        metric: 'csat',
        score_value: 5,
        score_label: '',
        response_id: '',
        source: 'span',
        agent: 'support',
      },
      {
        run_id: runIds.finished,
        metric: 'helpfulness',
        score_value: 1,
        score_label: 'thumbs_up',
        response_id: '',
        source: 'event',
        agent: 'support',
      },
      {
        run_id: runIds.open,
        metric: 'relevance',
        score_value: 4,
        score_label: 'relevant',
        response_id: '',
        source: 'event',
        agent: 'support',
      },
    ]);
  });

  it('stores no explanation text', async () => {
    const result = await store.client.query({
      query: `SELECT count() AS n FROM otel_traces
        WHERE has(mapKeys(arrayJoin(Events.Attributes)), 'gen_ai.evaluation.explanation')
           OR position(toString(Events.Attributes), 'Jane') > 0`,
      format: 'JSONEachRow',
    });
    expect((await result.json<{ n: number | string }>()).map((r) => Number(r.n))).toEqual([0]);
  });
});
