import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor, conventions as C } from '@agenttrace/sdk';
import { describe, expect, it } from 'vitest';
import { handleTicket, TICKETS } from '../support-agent.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

describe('support agent example', () => {
  it('traces two answered tickets and one empty retrieval, storing none of the ticket text', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
    });
    const tracer = new AgentTracer({ agentName: 'support_agent', tracerProvider: provider });

    const outcomes = await Promise.allSettled(TICKETS.map((t) => handleTicket(tracer, t)));

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const runs = exporter
      .getFinishedSpans()
      .filter((s) => s.attributes[C.ATTR_GEN_AI_OPERATION_NAME] === 'invoke_agent');
    expect(runs.map((r) => r.attributes[C.ATTR_RUN_STATUS]).sort()).toEqual([
      'failure',
      'success',
      'success',
    ]);
    const failed = runs.find((r) => r.attributes[C.ATTR_RUN_STATUS] === 'failure')!;
    expect(failed.attributes[C.ATTR_FAILURE_CODE]).toBe('empty_retrieval');
    const attempts = exporter
      .getFinishedSpans()
      .filter((s) => s.attributes[C.ATTR_STEP_ATTEMPT] !== undefined);
    expect(Math.max(...attempts.map((s) => s.attributes[C.ATTR_STEP_ATTEMPT] as number))).toBe(3);

    const stored = JSON.stringify(
      exporter
        .getFinishedSpans()
        .map((s) => [s.name, s.attributes, s.events, s.status, s.resource.attributes]),
    );
    for (const ticket of TICKETS)
      for (const word of ticket.text.split(/\s+/).filter((w) => w.length > 5))
        expect(stored).not.toContain(word);
    expect(stored).not.toMatch(/jane|4111|415-555|John Smith/i);
  });
});
