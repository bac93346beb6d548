/**
 * Multi-provider example, after the gateway seed: OpenAI-, Anthropic- and
 * xAI-style providers simulated deterministically (latency, tokens, rate
 * limits), tried in order with fallback; latency and cost per provider and
 * model come out of `agenttrace stats --by provider|model`.
 */
import { AgentTracer } from '@agenttrace/sdk';
import type { TracerProvider } from '@opentelemetry/api';
import { runDirectly } from './run-directly.js';
import { seeded, sleep } from './deterministic.js';

/** One simulated provider: its model, speed and how often it rate-limits. */
export interface SimulatedProvider {
  provider: string;
  model: string;
  baseMs: number;
  jitterMs: number;
  rateLimitEvery: number;
}

/** The providers in fallback order. */
export const PROVIDERS: SimulatedProvider[] = [
  { provider: 'openai', model: 'gpt-4o-mini', baseMs: 14, jitterMs: 8, rateLimitEvery: 4 },
  { provider: 'anthropic', model: 'claude-haiku-4-5', baseMs: 18, jitterMs: 6, rateLimitEvery: 8 },
  { provider: 'x_ai', model: 'grok-3-mini', baseMs: 11, jitterMs: 10, rateLimitEvery: 0 },
];

/** Sends `requests` requests through the gateway; resolves to calls per provider. */
export async function runMultiProvider(
  provider: TracerProvider,
  requests = 8,
): Promise<Record<string, number>> {
  const gateway = new AgentTracer({
    agentName: 'gateway',
    agentVersion: '1.1.0',
    tracerProvider: provider,
  });
  const random = seeded(42);
  const served: Record<string, number> = {};
  for (let n = 1; n <= requests; n++) {
    await gateway.run(async (run) => {
      for (const [i, p] of PROVIDERS.entries()) {
        const limited = p.rateLimitEvery > 0 && n % p.rateLimitEvery === 0;
        const ok = await run
          .step(
            'model',
            'complete',
            { model: p.model, provider: p.provider, attempt: i + 1, maxAttempts: PROVIDERS.length },
            async (s) => {
              await sleep(p.baseMs + Math.floor(random() * p.jitterMs));
              if (limited) throw Object.assign(new Error('rate limited'), { status: 429 });
              s.setUsage({
                inputTokens: 600 + Math.floor(random() * 400),
                outputTokens: 80 + Math.floor(random() * 60),
              });
              return true;
            },
          )
          .catch(() => false);
        if (ok) {
          served[p.provider] = (served[p.provider] ?? 0) + 1;
          return;
        }
      }
      run.recordFailure({ type: 'model', code: 'rate_limited' });
    });
  }
  return served;
}

runDirectly(import.meta.url, (provider) => runMultiProvider(provider));
