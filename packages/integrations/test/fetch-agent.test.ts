/**
 * A hand-instrumented fetch agent against a real HTTP server (port 0) that
 * speaks an OpenAI-style chat API and rate-limits the first call; and the
 * event-hook adapter, both through the allowlist into the store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRunSteps, listRuns } from '@agenttrace/query';
import { AgentTracer, createAgentHooks } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askModel } from '@agenttrace/examples/fetch-agent';
import { storePipeline } from './support/store.js';

let p: Awaited<ReturnType<typeof storePipeline>>;
let server: Server;
let answer = '';
let calls = 0;

beforeAll(async () => {
  p = await storePipeline('fetch-agent');
  server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => {
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '0' }).end('{"error":"slow down"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          model: 'gpt-4o-mini-2024-07-18',
          choices: [
            {
              message: { content: 'Your parcel for Jane arrives Tuesday.' },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 42, completion_tokens: 9 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const tracer = new AgentTracer({ agentName: 'fetch_agent', tracerProvider: p.provider });
  answer = await askModel(
    tracer,
    `http://127.0.0.1:${port}`,
    'Where is the parcel of Jane Doe, 12 Rue de Rivoli?',
  );

  const hooked = new AgentTracer({ agentName: 'hooked_agent', tracerProvider: p.provider });
  await hooked.run(async (run) => {
    const hooks = createAgentHooks(run, { provider: 'anthropic', model: 'claude-haiku-4-5' });
    hooks.onLlmStart([{ role: 'user', content: 'Summarise the file of Jane Doe' }]);
    hooks.onToolStart('crm_lookup', { customer: 'Jane Doe' });
    hooks.onToolEnd('crm_lookup', { vip: true });
    hooks.onLlmEnd({ usage: { input_tokens: 77, output_tokens: 11 } });
  });
  await p.flush();
}, 60_000);

afterAll(async () => {
  server?.close();
  await p?.close();
});

describe('hand-instrumented fetch agent and event hooks through the store', () => {
  it('stores the fetch agent run with a rate-limited attempt, the retry and the tokens', async () => {
    expect(answer).toContain('Tuesday');
    const [run] = await listRuns(p.store.client, { agent: 'fetch_agent' });
    expect(run).toMatchObject({
      status: 'success',
      retry_count: 1,
      input_tokens: 42,
      output_tokens: 9,
    });
    const steps = await getRunSteps(p.store.client, run!.run_id);
    expect(steps.map((s) => [s.attempt, s.status, s.failure_code])).toEqual([
      [1, 'error', 'rate_limited'],
      [2, 'unset', ''],
    ]);
    expect(steps[1]).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', provider: 'openai' });
  });

  it('stores the hook-driven run with its model and tool steps', async () => {
    const [run] = await listRuns(p.store.client, { agent: 'hooked_agent' });
    const steps = await getRunSteps(p.store.client, run!.run_id);
    expect(steps.map((s) => s.step_type).sort()).toEqual(['model', 'tool']);
    expect(run).toMatchObject({ input_tokens: 77, output_tokens: 11 });
  });

  it('stores none of the question, the address or the answer', async () => {
    const stored = await p.everything();
    for (const secret of ['Jane', 'Rivoli', 'parcel', 'Tuesday', 'vip'])
      expect(stored).not.toContain(secret);
  });
});
