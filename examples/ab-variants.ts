/**
 * A/B example: two prompt-template variants of a triage agent (labels and
 * versions, never the template text), each run scored with feedback, so
 * `agenttrace stats --by variant` and `agenttrace feedback` compare them.
 */
import { AgentTracer } from '@agenttrace/sdk';
import type { TracerProvider } from '@opentelemetry/api';
import { runDirectly } from './run-directly.js';
import { seeded, sleep } from './deterministic.js';

/** Runs `runs` triage runs alternating variants; resolves to the mean score per variant. */
export async function runAbVariants(
  provider: TracerProvider,
  runs = 6,
): Promise<Record<string, number>> {
  const triage = new AgentTracer({
    agentName: 'triage',
    agentVersion: '2.0.0',
    tracerProvider: provider,
  });
  const random = seeded(7);
  const scores: Record<string, number[]> = { a: [], b: [] };
  for (let i = 0; i < runs; i++) {
    const variant = i % 2 === 0 ? 'a' : 'b';
    const ref = await triage.run(
      { variant, promptTemplate: { name: 'triage', version: variant === 'a' ? 'v1' : 'v2' } },
      async (run) => {
        await run.step(
          'model',
          'classify',
          { model: variant === 'a' ? 'gpt-4o-mini' : 'gpt-4.1-mini', provider: 'openai' },
          async (s) => {
            await sleep(variant === 'a' ? 9 : 12);
            s.setUsage({ inputTokens: variant === 'a' ? 700 : 520, outputTokens: 40 });
          },
        );
        return run.ref;
      },
    );
    const score = variant === 'b' ? (random() < 0.85 ? 1 : 0) : random() < 0.5 ? 1 : 0;
    triage.recordFeedback(ref, 'resolved', score, { label: score ? 'thumbs_up' : 'thumbs_down' });
    scores[variant]!.push(score);
  }
  return Object.fromEntries(
    Object.entries(scores).map(([v, s]) => [v, s.reduce((a, b) => a + b, 0) / s.length]),
  );
}

runDirectly(import.meta.url, (provider) => runAbVariants(provider));
