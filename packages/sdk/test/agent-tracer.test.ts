import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { AgentFailureError, conventions as C } from '../src/index.js';
import { createPipeline } from './support/pipeline.js';

const spanId = (s: { spanContext: () => { spanId: string } }) => s.spanContext().spanId;

describe('AgentTracer', () => {
  describe('.run', () => {
    it('makes an invoke_agent span with agent, version, run id and success status', async () => {
      const p = createPipeline();
      const tracer = p.agent('support', { agentVersion: '1.2.0' });

      const result = await tracer.run(
        { variant: 'b', promptTemplate: { name: 'triage', version: 'v3' } },
        async (run) => {
          expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
          return 42;
        },
      );

      expect(result).toBe(42);
      tracer.run({ variant: 'b' }, (run) => run.step('plan', 'p', () => 1));
      expect(p.byName('plan support').attributes).toMatchObject({
        [C.ATTR_GEN_AI_AGENT_NAME]: 'support',
        [C.ATTR_GEN_AI_AGENT_VERSION]: '1.2.0',
        [C.ATTR_VARIANT]: 'b',
      });
      const run = p.spans().find((s) => s.name === 'invoke_agent support')!;
      expect(run.attributes).toMatchObject({
        [C.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
        [C.ATTR_GEN_AI_AGENT_NAME]: 'support',
        [C.ATTR_GEN_AI_AGENT_VERSION]: '1.2.0',
        [C.ATTR_RUN_STATUS]: 'success',
        [C.ATTR_RUN_ORIGIN]: 'root',
        [C.ATTR_VARIANT]: 'b',
        [C.ATTR_PROMPT_TEMPLATE]: 'triage',
        [C.ATTR_PROMPT_VERSION]: 'v3',
      });
      expect(run.status.code).toBe(SpanStatusCode.OK);
      expect(run.parentSpanContext).toBeUndefined();
    });

    it('rejects an agent name that is not a label, naming the field', () => {
      const p = createPipeline();
      expect(() => p.agent('my agent')).toThrow(/agentName must be a label.*"my agent"/);
    });

    it('traces a sync run and returns its value', () => {
      const p = createPipeline();
      const value = p.agent('sync').run((run) => run.step('plan', 'decide', () => 'done'));
      expect(value).toBe('done');
      expect(p.spans().map((s) => s.name)).toEqual(['plan sync', 'invoke_agent sync']);
    });
  });

  describe('steps', () => {
    it('makes one child span per step type with the GenAI operation and names', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        await run.step('plan', 'analyze_query', async () => undefined);
        await run.step('retrieve', 'search_kb', { dataSource: 'kb_main' }, async (s) =>
          s.setMetadata({ result_count: 10 }),
        );
        await run.step('tool', 'call_api', { tool: 'orders_api' }, async () => undefined);
        await run.step('model', 'answer', { model: 'gpt-4o', provider: 'openai' }, async (s) => {
          s.setUsage({ inputTokens: 120, outputTokens: 30, cachedInputTokens: 100 });
          s.setResponse({ model: 'gpt-4o-2024-08-06', finishReasons: ['stop'] });
        });
        await run.step('respond', 'reply', async () => undefined);
        await run.step('other', 'cleanup', async () => undefined);
      });

      const runSpan = p.byName('invoke_agent a');
      const runId = runSpan.attributes[C.ATTR_RUN_ID];
      const steps = p.spans().filter((s) => s !== runSpan);
      expect(steps.map((s) => s.name)).toEqual([
        'plan a',
        'retrieval kb_main',
        'execute_tool orders_api',
        'chat gpt-4o',
        'respond reply',
        'other cleanup',
      ]);
      for (const s of steps) {
        expect(s.parentSpanContext?.spanId).toBe(spanId(runSpan));
        expect(s.attributes[C.ATTR_RUN_ID]).toBe(runId);
        expect(s.attributes[C.ATTR_GEN_AI_AGENT_NAME]).toBe('a');
      }
      expect(steps.map((s) => s.attributes[C.ATTR_STEP_TYPE])).toEqual([...C.STEP_TYPES]);
      expect(steps.map((s) => s.attributes[C.ATTR_STEP_SEQ])).toEqual([1, 2, 3, 4, 5, 6]);
      expect(steps.map((s) => s.attributes[C.ATTR_GEN_AI_OPERATION_NAME])).toEqual([
        'plan',
        'retrieval',
        'execute_tool',
        'chat',
        undefined,
        undefined,
      ]);
      expect(steps[1]!.attributes).toMatchObject({
        [C.ATTR_GEN_AI_DATA_SOURCE_ID]: 'kb_main',
        'agenttrace.meta.result_count': 10,
      });
      expect(steps[2]!.attributes[C.ATTR_GEN_AI_TOOL_NAME]).toBe('orders_api');
      expect(steps[3]!.attributes).toMatchObject({
        [C.ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
        [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
        [C.ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-2024-08-06',
        [C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
        [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 120,
        [C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 30,
        [C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 100,
      });
    });

    it('nests a step started inside another step under it', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        await run.step('tool', 'outer', async () => {
          await run.step('model', 'inner', async () => undefined);
        });
      });
      expect(p.byName('chat inner').parentSpanContext?.spanId).toBe(
        spanId(p.byName('execute_tool outer')),
      );
    });

    it('rejects an unknown step type and bad usage, naming the field and value', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        expect(() => run.step('think' as never, 'x', () => 1)).toThrow(
          /step type must be one of plan, .* \(got "think"\)/,
        );
        await run.step('model', 'm', async (s) => {
          expect(() => s.setUsage({ inputTokens: -3 })).toThrow(
            'usage.inputTokens must be a non-negative integer (got -3)',
          );
        });
      });
    });

    it('records time to first chunk and the chunk count of a streamed model call', async () => {
      const p = createPipeline();
      async function* stream() {
        await new Promise((r) => setTimeout(r, 15));
        yield 'a';
        yield 'b';
        yield 'c';
      }
      const parts: string[] = [];
      await p.agent('a').run((run) =>
        run.step('model', 'stream', { model: 'claude-sonnet-4' }, async (step) => {
          for await (const part of step.trackStream(stream())) parts.push(part);
        }),
      );
      const s = p.byName('chat claude-sonnet-4');
      expect(parts).toEqual(['a', 'b', 'c']);
      expect(s.attributes[C.ATTR_GEN_AI_REQUEST_STREAM]).toBe(true);
      expect(s.attributes[C.ATTR_STREAM_CHUNKS]).toBe(3);
      const ttfc = s.attributes[C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] as number;
      expect(ttfc).toBeGreaterThanOrEqual(0.01);
      expect(ttfc).toBeLessThan(10);
    });
  });

  describe('errors', () => {
    it('ends the step and run on a sync throw, classifies it and rethrows', () => {
      const p = createPipeline();
      const boom = Object.assign(new Error('the customer jane@example.com was not found'), {
        name: 'TimeoutError',
      });
      expect(() =>
        p.agent('a').run((run) =>
          run.step('tool', 'lookup', () => {
            throw boom;
          }),
        ),
      ).toThrow(boom);
      const step = p.byName('execute_tool lookup');
      const run = p.byName('invoke_agent a');
      expect(step.ended && run.ended).toBe(true);
      expect(step.status).toEqual({ code: SpanStatusCode.ERROR, message: 'timeout' });
      expect(step.attributes).toMatchObject({
        [C.ATTR_FAILURE_TYPE]: 'tool',
        [C.ATTR_FAILURE_CODE]: 'timeout',
        [C.ATTR_ERROR_TYPE]: 'TimeoutError',
      });
      expect(step.events.map((e) => e.attributes)).toEqual([
        { [C.ATTR_EXCEPTION_TYPE]: 'TimeoutError' },
      ]);
      expect(run.attributes).toMatchObject({
        [C.ATTR_RUN_STATUS]: 'failure',
        [C.ATTR_FAILURE_TYPE]: 'tool',
        [C.ATTR_FAILURE_CODE]: 'timeout',
        [C.ATTR_FAILURE_STEP]: 'lookup',
      });
      expect(run.status.code).toBe(SpanStatusCode.ERROR);
      expect(
        JSON.stringify([step, run].map((s) => [s.attributes, s.events, s.status])),
      ).not.toContain('jane');
    });

    it('ends spans on an async rejection and classifies HTTP 429 from a model as rate_limited', async () => {
      const p = createPipeline();
      const err = Object.assign(new Error('slow down'), { status: 429 });
      await expect(
        p.agent('a').run((run) =>
          run.step('model', 'answer', { model: 'gpt-4o' }, async () => {
            await Promise.resolve();
            throw err;
          }),
        ),
      ).rejects.toBe(err);
      expect(p.byName('chat gpt-4o').attributes).toMatchObject({
        [C.ATTR_FAILURE_TYPE]: 'model',
        [C.ATTR_FAILURE_CODE]: 'rate_limited',
        [C.ATTR_HTTP_RESPONSE_STATUS_CODE]: 429,
      });
      expect(p.byName('invoke_agent a').attributes[C.ATTR_RUN_STATUS]).toBe('failure');
    });

    it('uses an explicit AgentFailureError classification', async () => {
      const p = createPipeline();
      await expect(
        p.agent('a').run((run) =>
          run.step('retrieve', 'search', async () => {
            throw new AgentFailureError({ type: 'retrieval', code: 'empty_retrieval' });
          }),
        ),
      ).rejects.toThrow(AgentFailureError);
      expect(p.byName('invoke_agent a').attributes).toMatchObject({
        [C.ATTR_FAILURE_CODE]: 'empty_retrieval',
      });
    });

    it('marks a run partial when a step failed but the run recovered', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        await run
          .step('tool', 'optional', async () => Promise.reject(new Error('x')))
          .catch(() => undefined);
      });
      expect(p.byName('invoke_agent a').attributes[C.ATTR_RUN_STATUS]).toBe('partial');
    });

    it('records a failure without throwing, as events and first-failure attributes', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        run.recordFailure({ type: 'orchestration', code: 'max_iterations' });
        run.recordFailure({ type: 'tool', code: 'schema_invalid', step: 'parse' });
        expect(() => run.recordFailure({ type: 'cosmic' as never, code: 'x' })).toThrow(
          /failure.type must be one of .*"cosmic"/,
        );
      });
      const run = p.byName('invoke_agent a');
      expect(run.attributes).toMatchObject({
        [C.ATTR_RUN_STATUS]: 'failure',
        [C.ATTR_FAILURE_CODE]: 'max_iterations',
      });
      expect(
        run.events
          .filter((e) => e.name === C.EVENT_FAILURE)
          .map((e) => e.attributes?.[C.ATTR_FAILURE_CODE]),
      ).toEqual(['max_iterations', 'schema_invalid']);
    });
  });

  describe('retries', () => {
    it('makes one step span per attempt and succeeds on the third', async () => {
      const p = createPipeline();
      let calls = 0;
      const value = await p.agent('a').run((run) =>
        run.retry(
          'tool',
          'call_api',
          { attempts: 3, initialDelayMs: 1 },
          async (_step, attempt) => {
            calls++;
            if (attempt < 3) throw Object.assign(new Error('busy'), { status: 503 });
            return 'ok';
          },
        ),
      );
      expect(value).toBe('ok');
      expect(calls).toBe(3);
      const attempts = p.spans().filter((s) => s.name === 'execute_tool call_api');
      expect(attempts.map((s) => s.attributes[C.ATTR_STEP_ATTEMPT])).toEqual([1, 2, 3]);
      expect(attempts.map((s) => s.attributes[C.ATTR_STEP_MAX_ATTEMPTS])).toEqual([3, 3, 3]);
      expect(attempts.map((s) => s.status.code)).toEqual([
        SpanStatusCode.ERROR,
        SpanStatusCode.ERROR,
        SpanStatusCode.UNSET,
      ]);
      expect(attempts[0]!.attributes[C.ATTR_FAILURE_CODE]).toBe('unavailable');
      expect(typeof attempts[0]!.attributes[C.ATTR_STEP_RETRY_DELAY_MS]).toBe('number');
      expect(attempts[2]!.attributes[C.ATTR_STEP_RETRY_DELAY_MS]).toBeUndefined();
      expect(p.byName('invoke_agent a').attributes[C.ATTR_RUN_STATUS]).toBe('success');
    });

    it('gives up after the last attempt, or at once when retryOn says no', async () => {
      const p = createPipeline();
      await expect(
        p.agent('a').run((run) =>
          run.retry('tool', 'flaky', { attempts: 2, initialDelayMs: 1 }, async () => {
            throw Object.assign(new Error('t'), { code: 'ETIMEDOUT' });
          }),
        ),
      ).rejects.toThrow('t');
      expect(p.spans().filter((s) => s.name === 'execute_tool flaky')).toHaveLength(2);
      await expect(
        p.agent('b').run((run) =>
          run.retry(
            'tool',
            'fatal',
            { attempts: 5, initialDelayMs: 1, retryOn: () => false },
            async () => {
              throw new Error('no');
            },
          ),
        ),
      ).rejects.toThrow('no');
      expect(p.spans().filter((s) => s.name === 'execute_tool fatal')).toHaveLength(1);
      expect(p.byName('invoke_agent a').attributes).toMatchObject({
        [C.ATTR_FAILURE_CODE]: 'timeout',
        [C.ATTR_FAILURE_TYPE]: 'tool',
      });
    });

    it('rejects bad retry options, naming the field', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        await expect(run.retry('tool', 'x', { attempts: 0 }, async () => 1)).rejects.toThrow(
          'retry.attempts must be a positive integer (got 0)',
        );
      });
    });
  });

  describe('multi-agent', () => {
    it('nests an agent used as a tool under the calling step', async () => {
      const p = createPipeline();
      const researcher = p.agent('researcher');
      await p.agent('manager').run(async (run) => {
        await run.step('tool', 'research', () =>
          researcher.run(async (child) => child.step('model', 'summarize', () => 1)),
        );
      });
      const manager = p.byName('invoke_agent manager');
      const child = p.byName('invoke_agent researcher');
      expect(child.parentSpanContext?.spanId).toBe(spanId(p.byName('execute_tool research')));
      expect(child.attributes).toMatchObject({
        [C.ATTR_RUN_ORIGIN]: 'nested',
        [C.ATTR_RUN_PARENT_ID]: manager.attributes[C.ATTR_RUN_ID],
      });
      expect(p.byName('chat summarize').attributes[C.ATTR_RUN_ID]).toBe(
        child.attributes[C.ATTR_RUN_ID],
      );
      expect(child.spanContext().traceId).toBe(manager.spanContext().traceId);
    });

    it('starts a fork in a new trace linked to the origin run', async () => {
      const p = createPipeline();
      await p.agent('a').run(async (run) => {
        await run.fork(async (fork) => fork.step('plan', 'alt_path', () => 1));
      });
      const origin = p.spans().find((s) => s.attributes[C.ATTR_RUN_ORIGIN] === 'root')!;
      const fork = p.spans().find((s) => s.attributes[C.ATTR_RUN_ORIGIN] === 'fork')!;
      expect(fork.spanContext().traceId).not.toBe(origin.spanContext().traceId);
      expect(fork.parentSpanContext).toBeUndefined();
      expect(fork.links.map((l) => l.context.spanId)).toEqual([spanId(origin)]);
      expect(fork.attributes[C.ATTR_RUN_ORIGIN_ID]).toBe(origin.attributes[C.ATTR_RUN_ID]);
    });

    it('runs parallel agents linked to the origin and makes the origin partial when one fails', async () => {
      const p = createPipeline();
      const [x, y] = [p.agent('x'), p.agent('y')];
      const results = await p.agent('boss').run((run) =>
        run.parallel([
          () => x.run(async () => 'fine'),
          () =>
            y.run(async () => {
              throw new Error('nope');
            }),
        ]),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      const boss = p.byName('invoke_agent boss');
      for (const name of ['invoke_agent x', 'invoke_agent y']) {
        const s = p.byName(name);
        expect(s.attributes[C.ATTR_RUN_ORIGIN]).toBe('parallel');
        expect(s.attributes[C.ATTR_RUN_ORIGIN_ID]).toBe(boss.attributes[C.ATTR_RUN_ID]);
        expect(s.links.map((l) => l.context.spanId)).toEqual([spanId(boss)]);
      }
      expect(p.byName('invoke_agent y').attributes[C.ATTR_RUN_STATUS]).toBe('failure');
      expect(boss.attributes[C.ATTR_RUN_STATUS]).toBe('partial');
    });
  });

  describe('.startRun', () => {
    it('starts a run the caller ends, failed when given an error, once only', () => {
      const p = createPipeline();
      const tracer = p.agent('cb');
      const run = tracer.startRun({ variant: 'x' });
      const step = run.startStep('tool', 'lookup');
      run.endStep(step, Object.assign(new Error('t'), { name: 'TimeoutError' }));
      run.end(step.failed ? new Error('gave up') : undefined);
      run.end();
      const spans = p.spans().filter((s) => s.name === 'invoke_agent cb');
      expect(spans).toHaveLength(1);
      expect(spans[0]!.attributes).toMatchObject({
        [C.ATTR_RUN_STATUS]: 'failure',
        [C.ATTR_VARIANT]: 'x',
      });
      expect(p.byName('execute_tool lookup').parentSpanContext?.spanId).toBe(
        spans[0]!.spanContext().spanId,
      );
    });
  });

  // .recordFeedback: test/feedback.test.ts (the gen_ai.evaluation.result event)
});
