import { describe, expect, it } from 'vitest';
import { conventions as C } from '../src/index.js';
import { EVENT_GEN_AI_EVALUATION_RESULT } from '../src/conventions.js';
import { createPipeline } from './support/pipeline.js';

describe('AgentTracer', () => {
  describe('.recordFeedback', () => {
    it('adds gen_ai.evaluation.result to the run span while the run is open', async () => {
      const p = createPipeline();
      const tracer = p.agent('support');
      await tracer.run(async (run) => {
        tracer.recordFeedback(run, 'relevance', 4, {
          label: 'relevant',
          responseId: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
        });
      });
      const run = p.byName('invoke_agent support');
      const events = run.events.filter((e) => e.name === EVENT_GEN_AI_EVALUATION_RESULT);
      expect(events).toHaveLength(1);
      expect(events[0]!.attributes).toEqual({
        [C.ATTR_GEN_AI_EVALUATION_NAME]: 'relevance',
        [C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE]: 4,
        [C.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]: 'relevant',
        'gen_ai.response.id': 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      });
      expect(p.spans().filter((s) => s.name.startsWith('feedback'))).toEqual([]);
    });

    it('emits the event on a span referencing a finished run', async () => {
      const p = createPipeline();
      const tracer = p.agent('a', { agentVersion: '2' });
      const ref = await tracer.run(async (run) => run.ref);
      tracer.recordFeedback(ref, 'helpfulness', 0.8, { label: 'good' });
      const fb = p.byName('feedback helpfulness');
      expect(fb.attributes).toMatchObject({
        [C.ATTR_FEEDBACK_RUN_ID]: ref.runId,
        [C.ATTR_GEN_AI_AGENT_NAME]: 'a',
        [C.ATTR_GEN_AI_AGENT_VERSION]: '2',
      });
      // the score is the event's, not the span's (the views read both shapes)
      expect(fb.attributes[C.ATTR_GEN_AI_EVALUATION_NAME]).toBeUndefined();
      expect(fb.links[0]?.context).toMatchObject({ traceId: ref.traceId, spanId: ref.spanId });
      expect(fb.events.map((e) => [e.name, e.attributes])).toEqual([
        [
          EVENT_GEN_AI_EVALUATION_RESULT,
          {
            [C.ATTR_GEN_AI_EVALUATION_NAME]: 'helpfulness',
            [C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE]: 0.8,
            [C.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]: 'good',
          },
        ],
      ]);
    });

    it('treats an ended Run like its ref', async () => {
      const p = createPipeline();
      const tracer = p.agent('a');
      const run = tracer.startRun();
      run.end();
      tracer.recordFeedback(run, 'resolved', 1);
      expect(p.byName('feedback resolved').attributes[C.ATTR_FEEDBACK_RUN_ID]).toBe(run.id);
    });

    it('drops an explanation someone adds to the event (content)', async () => {
      const p = createPipeline();
      const tracer = p.agent('a');
      await tracer.run(async (run) => {
        run.span.addEvent(EVENT_GEN_AI_EVALUATION_RESULT, {
          [C.ATTR_GEN_AI_EVALUATION_NAME]: 'accuracy',
          'gen_ai.evaluation.explanation': 'The answer about Jane Doe was wrong',
        });
      });
      const [event] = p.byName('invoke_agent a').events;
      expect(event?.attributes).toEqual({ [C.ATTR_GEN_AI_EVALUATION_NAME]: 'accuracy' });
    });

    it('names the field of a bad metric, label, response id or value', async () => {
      const p = createPipeline();
      const tracer = p.agent('a');
      const ref = await tracer.run(async (run) => run.ref);
      expect(() => tracer.recordFeedback(ref, 'helpfulness', Number.NaN)).toThrow(
        'feedback value must be a finite number (got NaN)',
      );
      expect(() => tracer.recordFeedback(ref, 'was it good?', 1)).toThrow(
        /^metric must be a label/,
      );
      expect(() => tracer.recordFeedback(ref, 'ok', 1, { label: 'jane@example.com' })).toThrow(
        /^options.label must be a label/,
      );
      expect(() => tracer.recordFeedback(ref, 'ok', 1, { responseId: 'a b' })).toThrow(
        /^options.responseId must be a provider's response id/,
      );
    });
  });
});
