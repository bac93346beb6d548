/**
 * LangChain.js (`@langchain/core`, with its own fake chat model) traced by
 * AgentTraceCallbackHandler: a retriever, a tool and a chat model inside a
 * chain come out of the store as one run with three steps and the tokens,
 * without the question, the documents, the tool input or the answer.
 */
import { Document } from '@langchain/core/documents';
import type { AIMessage } from '@langchain/core/messages';
import { BaseRetriever } from '@langchain/core/retrievers';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { getRunSteps, listRuns } from '@agenttrace/query';
import { AgentTracer } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentTraceCallbackHandler } from '../src/langchain-handler.js';
import { storePipeline } from './support/store.js';

const QUESTION = 'Can Jane Doe (jane.doe@example.com) get a refund for order 4411?';

class HandbookRetriever extends BaseRetriever {
  lc_namespace = ['test'];
  override async _getRelevantDocuments(): Promise<Document[]> {
    return [
      new Document({ pageContent: 'Refund policy: 30 days, secret clause' }),
      new Document({ pageContent: 'Shipping handbook' }),
    ];
  }
}

class UsageChatModel extends FakeListChatModel {
  override async _generate(...args: Parameters<FakeListChatModel['_generate']>) {
    const result = await super._generate(...args);
    const message = result.generations[0]!.message as AIMessage;
    message.usage_metadata = { input_tokens: 310, output_tokens: 25, total_tokens: 335 };
    return result;
  }
}

let p: Awaited<ReturnType<typeof storePipeline>>;
let failedRunError: unknown;

beforeAll(async () => {
  p = await storePipeline('langchain');
  const handler = new AgentTraceCallbackHandler(
    new AgentTracer({ agentName: 'refund_chain', tracerProvider: p.provider }),
  );
  const retriever = new HandbookRetriever();
  const orders = tool(async ({ id }) => `order ${id} for Jane is refundable`, {
    name: 'orders_lookup',
    description: 'Looks up an order',
    schema: z.object({ id: z.string() }),
  });
  const model = new UsageChatModel({ responses: ['Yes Jane, your refund is approved.'] });
  model.metadata = { ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' };
  const chain = RunnableLambda.from(async (question: string, config) => {
    const docs = await retriever.invoke(question, config);
    const order = await orders.invoke({ id: '4411' }, config);
    const answer = await model.invoke(
      `${question}\n${docs.map((d) => d.pageContent).join('\n')}\n${String(order)}`,
      config,
    );
    return answer.content;
  }).withConfig({ runName: 'refund_chain' });
  await chain.invoke(QUESTION, { callbacks: [handler] });

  const broken = RunnableLambda.from(async (_q: string, config) => {
    await tool(
      async () => {
        throw Object.assign(new Error('orders API timed out for Jane'), { name: 'TimeoutError' });
      },
      { name: 'orders_lookup', description: 'x', schema: z.object({}) },
    ).invoke({}, config);
  });
  failedRunError = await broken.invoke(QUESTION, { callbacks: [handler] }).catch((e: unknown) => e);
  await p.flush();
}, 60_000);

afterAll(async () => p?.close());

describe('AgentTraceCallbackHandler through the allowlist and the store', () => {
  it('stores the chain as a run with retrieve, tool and model steps and the model tokens', async () => {
    const runs = await listRuns(p.store.client);
    const ok = runs.find((r) => r.status === 'success')!;
    expect(ok).toMatchObject({ agent: 'refund_chain', input_tokens: 310, output_tokens: 25 });
    const steps = await getRunSteps(p.store.client, ok.run_id);
    expect(steps.map((s) => [s.step_type, s.step_name])).toEqual([
      ['retrieve', 'HandbookRetriever'],
      ['tool', 'orders_lookup'],
      ['model', 'gpt-4o-mini'],
    ]);
    expect(steps[2]).toMatchObject({ model: 'gpt-4o-mini', provider: 'openai' });
  });

  it('stores a failing tool as a classified tool timeout and the run as failed', async () => {
    expect(failedRunError).toBeInstanceOf(Error);
    const [failed] = await listRuns(p.store.client, { status: 'failure' });
    expect(failed).toMatchObject({
      agent: 'refund_chain',
      failure_type: 'tool',
      failure_code: 'timeout',
    });
  });

  it('stores none of the question, the documents, the tool input and output or the answer', async () => {
    const stored = await p.everything();
    for (const secret of [
      'Jane',
      'jane.doe',
      '4411',
      'refund policy',
      'Refund policy',
      'secret clause',
      'approved',
      'timed out',
    ])
      expect(stored).not.toContain(secret);
  });
});
