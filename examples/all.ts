/** Runs every example agent against a tracer provider: what `agenttrace demo` shows. */
import type { TracerProvider } from '@opentelemetry/api';
import { AgentTracer } from '@agenttrace/sdk';
import { runAbVariants } from './ab-variants.js';
import { runMultiAgent } from './multi-agent.js';
import { runMultiProvider } from './multi-provider.js';
import { runMisbehavingAgent } from './misbehaving-agent.js';
import { handleTicket, TICKETS } from './support-agent.js';

/** What the examples did, for a summary line. */
export interface ExamplesSummary {
  supportAnswered: number;
  analystsSucceeded: number;
  servedByProvider: Record<string, number>;
  meanScoreByVariant: Record<string, number>;
  misbehavingRuns: number;
}

/**
 * Runs the misbehaving ops agent (first, so the newest runs are the other
 * examples'), then the support, multi-agent, multi-provider and A/B examples.
 */
export async function runExamples(
  provider: TracerProvider,
  log: (line: string) => void = () => undefined,
): Promise<ExamplesSummary> {
  const misbehavingRuns = await runMisbehavingAgent(provider);
  log(`ops agent: ${misbehavingRuns} runs, misbehaving in every way agenttrace signals detects`);
  const support = new AgentTracer({
    agentName: 'support_agent',
    agentVersion: '1.0.0',
    tracerProvider: provider,
  });
  let supportAnswered = 0;
  for (const ticket of TICKETS) {
    await handleTicket(support, ticket).then(
      () => supportAnswered++,
      () => undefined,
    );
  }
  log(`support agent: ${supportAnswered}/${TICKETS.length} tickets answered`);
  const analystsSucceeded = await runMultiAgent(provider);
  log(
    `multi-agent: researcher as a tool, a fork, ${analystsSucceeded}/3 parallel analysts succeeded`,
  );
  const servedByProvider = await runMultiProvider(provider);
  log(`multi-provider: served ${JSON.stringify(servedByProvider)} with fallback on rate limits`);
  const meanScoreByVariant = await runAbVariants(provider);
  log(`A/B variants: mean feedback ${JSON.stringify(meanScoreByVariant)}`);
  return {
    supportAnswered,
    analystsSucceeded,
    servedByProvider,
    meanScoreByVariant,
    misbehavingRuns,
  };
}
