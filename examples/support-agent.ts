/**
 * The AgentTracer seed's customer-support agent, deterministic and offline:
 * plan, retrieve, a flaky tool with retries, a streamed model call, respond.
 * Tickets that find nothing in the knowledge base fail with a classified
 * `empty_retrieval`. The ticket text (with personal data in it) goes through
 * the agent but never into a span.
 */
import { AgentFailureError, AgentTracer } from '@agenttrace/sdk';
import { sleep } from './deterministic.js';
import { runDirectly } from './run-directly.js';

/** A support ticket: the text is content and must never be stored. */
export interface Ticket {
  text: string;
  /** Which knowledge-base articles match, by id. */
  matches: string[];
  /** How many times the orders API answers 503 before it works. */
  ordersApiFailures: number;
}

/** Demo tickets: two answered (one after retries), one with nothing to retrieve. */
export const TICKETS: Ticket[] = [
  {
    text: 'Hi, I am jane.doe@example.com, where is order 4411? Call me on 415-555-0199.',
    matches: ['kb_shipping', 'kb_orders'],
    ordersApiFailures: 2,
  },
  {
    text: 'How do I reset my password? My card is 4111 1111 1111 1111.',
    matches: ['kb_account'],
    ordersApiFailures: 0,
  },
  {
    text: 'Tell me about the weather on Mars, my name is John Smith.',
    matches: [],
    ordersApiFailures: 0,
  },
];

async function* streamAnswer(words: string[]): AsyncGenerator<string> {
  await sleep(12);
  for (const word of words) yield `${word} `;
}

/** Handles one ticket as a traced run; resolves to the answer text. */
export async function handleTicket(
  tracer: AgentTracer,
  ticket: Ticket,
  variant = 'a',
): Promise<string> {
  return tracer.run(
    { variant, promptTemplate: { name: 'support_answer', version: 'v3' } },
    async (run) => {
      const intent = await run.step('plan', 'analyze_query', async (step) => {
        await sleep(5);
        // A careless agent tries to attach the raw ticket: the allowlist drops it.
        step.setMetadata({ query_chars: ticket.text.length, raw_query: ticket.text });
        return ticket.matches.length > 0 ? 'orders' : 'unknown';
      });

      const docs = await run.step(
        'retrieve',
        'search_kb',
        { dataSource: 'support_kb' },
        async (step) => {
          await sleep(8);
          step.setMetadata({ result_count: ticket.matches.length });
          if (ticket.matches.length === 0)
            throw new AgentFailureError({ type: 'retrieval', code: 'empty_retrieval' });
          return ticket.matches;
        },
      );

      let failures = ticket.ordersApiFailures;
      const order = await run.retry(
        'tool',
        'orders_api',
        { attempts: 3, initialDelayMs: 5 },
        async (step) => {
          await sleep(6);
          if (failures-- > 0) {
            step.setHttpStatus(503);
            throw Object.assign(new Error('orders API unavailable'), { status: 503 });
          }
          step.setHttpStatus(200);
          return { status: 'shipped' };
        },
      );

      const answer = await run.step(
        'model',
        'draft_answer',
        { model: 'gpt-4o-mini', provider: 'openai' },
        async (step) => {
          const parts: string[] = [];
          for await (const part of step.trackStream(
            streamAnswer(['Your', 'order', 'is', order.status]),
          ))
            parts.push(part);
          step.setUsage({
            inputTokens: 380 + docs.length * 120,
            outputTokens: 42,
            cachedInputTokens: 256,
          });
          step.setResponse({ model: 'gpt-4o-mini-2024-07-18', finishReasons: ['stop'] });
          return parts.join('').trim();
        },
      );

      await run.step('respond', 'send_reply', async (step) => {
        step.setMetadata({ answer_chars: answer.length, intent_known: intent !== 'unknown' });
        await sleep(3);
      });
      return answer;
    },
  );
}

runDirectly(import.meta.url, async (provider) => {
  const tracer = new AgentTracer({
    agentName: 'support_agent',
    agentVersion: '1.0.0',
    tracerProvider: provider,
  });
  const outcomes = await Promise.allSettled(TICKETS.map((t) => handleTicket(tracer, t)));
  return outcomes.map((o) => o.status);
});
