/**
 * Multi-agent example, after the agent-framework seed: a manager that uses a
 * researcher agent as a tool (a nested run under the calling step), forks
 * its plan to explore an alternative (a new trace linked to the origin), and
 * runs three analyst agents in parallel, one of which fails (the manager
 * ends `partial`).
 */
import { AgentFailureError, AgentTracer } from '@agenttrace/sdk';
import type { TracerProvider } from '@opentelemetry/api';
import { runDirectly } from './run-directly.js';
import { sleep } from './deterministic.js';

/** Runs the manager once; resolves to how many analysts succeeded. */
export async function runMultiAgent(provider: TracerProvider): Promise<number> {
  const manager = new AgentTracer({
    agentName: 'manager',
    agentVersion: '0.3.0',
    tracerProvider: provider,
  });
  const researcher = new AgentTracer({
    agentName: 'researcher',
    agentVersion: '0.2.1',
    tracerProvider: provider,
  });
  const analyst = new AgentTracer({
    agentName: 'analyst',
    agentVersion: '1.0.0',
    tracerProvider: provider,
  });

  return manager.run(async (run) => {
    await run.step('plan', 'split_task', async () => sleep(4));
    await run.step('tool', 'researcher', () =>
      researcher.run(async (r) => {
        await r.step('retrieve', 'web_search', { dataSource: 'search_index' }, async (s) => {
          await sleep(9);
          s.setMetadata({ result_count: 7 });
        });
        await r.step(
          'model',
          'summarize',
          { model: 'claude-haiku-4-5', provider: 'anthropic' },
          async (s) => {
            await sleep(14);
            s.setUsage({ inputTokens: 2400, outputTokens: 310 });
          },
        );
      }),
    );
    await run.fork(async (alt) => {
      await alt.step('plan', 'alternative_plan', async () => sleep(3));
      await alt.step(
        'model',
        'critique',
        { model: 'gpt-4o-mini', provider: 'openai' },
        async (s) => {
          await sleep(11);
          s.setUsage({ inputTokens: 900, outputTokens: 120 });
        },
      );
    });
    const results = await run.parallel(
      ['market', 'pricing', 'risks'].map(
        (topic, i) => () =>
          analyst.run({ metadata: { branch: i } }, async (a) => {
            await a.step(
              'model',
              `analyze_${topic}`,
              { model: 'gpt-4o', provider: 'openai' },
              async (s) => {
                await sleep(8 + i * 4);
                if (topic === 'risks')
                  throw new AgentFailureError({ type: 'model', code: 'schema_invalid' });
                s.setUsage({ inputTokens: 1500, outputTokens: 200 });
              },
            );
          }),
      ),
    );
    await run.step('respond', 'merge_findings', async () => sleep(2));
    return results.filter((r) => r.status === 'fulfilled').length;
  });
}

runDirectly(import.meta.url, (provider) => runMultiAgent(provider));
