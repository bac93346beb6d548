/**
 * Span sets as OTel GenAI (old and new spellings), OpenInference and
 * OpenLLMetry instrumentations emit them, content included, made with a real
 * OTel tracer: through the allowlist and the store they come out as runs,
 * steps, tokens and failures, and none of their content is stored.
 */
import { context, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { getRunSteps, listFailures, listRuns } from '@agenttrace/query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storePipeline } from './support/store.js';

let p: Awaited<ReturnType<typeof storePipeline>>;

interface SpanSpec {
  name: string;
  attributes: Attributes;
  error?: { status: number; type: string };
  children?: SpanSpec[];
}

/** Emits a span tree with a real tracer, parents before children, like an instrumentation would. */
function emit(spec: SpanSpec, scope: string): void {
  const tracer = p.provider.getTracer(scope);
  tracer.startActiveSpan(spec.name, { attributes: spec.attributes }, (span) => {
    for (const child of spec.children ?? []) emit(child, scope);
    if (spec.error) {
      span.setAttribute('http.response.status_code', spec.error.status);
      span.setAttribute('error.type', spec.error.type);
      span.recordException(
        Object.assign(new Error('Rate limit for org-jane exceeded'), { name: spec.error.type }),
      );
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: 'Rate limit reached for jane@example.com',
      });
    }
    span.end();
  });
}

const SOURCES: Record<string, SpanSpec> = {
  genai: {
    name: 'invoke_agent planner',
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'planner',
      'gen_ai.system': 'openai',
    },
    children: [
      {
        name: 'chat gpt-4o',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.prompt_tokens': 500,
          'gen_ai.usage.completion_tokens': 50,
          'gen_ai.prompt.0.content': 'Plan a trip for Jane Doe',
          'gen_ai.completion.0.content': 'Day 1: Louvre',
        },
      },
      {
        name: 'execute_tool book_hotel',
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'book_hotel',
          'gen_ai.tool.call.arguments': '{"guest":"Jane Doe"}',
        },
      },
    ],
  },
  openinference: {
    name: 'Agent',
    attributes: {
      'openinference.span.kind': 'AGENT',
      'input.value': 'Find Jane Doe a flight',
      'output.value': 'Booked AF123 for Jane',
    },
    children: [
      {
        name: 'VectorStoreRetriever',
        attributes: {
          'openinference.span.kind': 'RETRIEVER',
          'retrieval.documents.0.document.content': 'Passport of Jane Doe: 12AB34567',
        },
      },
      {
        name: 'ChatAnthropic',
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'claude-sonnet-4-5',
          'llm.provider': 'anthropic',
          'llm.token_count.prompt': 800,
          'llm.token_count.completion': 90,
          'llm.input_messages.0.message.content': 'Jane Doe wants a window seat',
        },
      },
    ],
  },
  openllmetry: {
    name: 'support.workflow',
    attributes: {
      'traceloop.span.kind': 'agent',
      'traceloop.entity.input': '{"customer":"jane@example.com"}',
    },
    children: [
      {
        name: 'openai.chat',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.prompt_tokens': 120,
          'gen_ai.prompt.0.content': 'Customer jane@example.com is angry',
        },
        error: { status: 429, type: 'RateLimitError' },
      },
    ],
  },
};

beforeAll(async () => {
  p = await storePipeline('third-party');
  for (const [scope, spec] of Object.entries(SOURCES))
    context.with(trace.deleteSpan(context.active()), () => emit(spec, scope));
  await p.flush();
}, 60_000);

afterAll(async () => p?.close());

describe('third-party GenAI spans through the allowlist and the store', () => {
  it('become one run per source with their steps and tokens', async () => {
    const runs = await listRuns(p.store.client);
    expect(runs).toHaveLength(3);
    const byAgent = Object.fromEntries(runs.map((r) => [r.agent, r]));
    expect(byAgent.planner).toMatchObject({ input_tokens: 500, output_tokens: 50, step_count: 2 });
    const genaiSteps = await getRunSteps(p.store.client, byAgent.planner!.run_id);
    // other instrumentations' spans start in the same millisecond: no order to rely on
    expect(genaiSteps.map((s) => [s.step_type, s.model || s.tool, s.provider]).sort()).toEqual([
      ['model', 'gpt-4o', 'openai'],
      ['tool', 'book_hotel', ''],
    ]);
    const oi = runs.find((r) => r.input_tokens === 800)!;
    expect(oi).toMatchObject({ output_tokens: 90, step_count: 2 });
    const oiSteps = await getRunSteps(p.store.client, oi.run_id);
    expect(oiSteps.map((s) => [s.step_type, s.model, s.provider]).sort()).toEqual([
      ['model', 'claude-sonnet-4-5', 'anthropic'],
      ['retrieve', '', ''],
    ]);
  });

  it('classify a failed third-party model call as model/rate_limited', async () => {
    const failures = await listFailures(p.store.client);
    expect(
      failures.map((f) => [f.level, f.step_type, f.failure_type, f.failure_code]),
    ).toContainEqual(['step', 'model', 'model', 'rate_limited']);
  });

  it('store none of the prompts, messages, documents, tool arguments or personal data', async () => {
    const stored = await p.everything();
    for (const secret of [
      'Jane',
      'jane@',
      'Louvre',
      'AF123',
      '12AB34567',
      'window seat',
      'angry',
      'Rate limit for',
      'Passport',
    ])
      expect(stored).not.toContain(secret);
  });
});
