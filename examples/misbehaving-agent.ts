/**
 * An operations agent that misbehaves in every way `agenttrace signals`
 * detects, deterministically and offline: a tool loop, a retry storm, a burst
 * of provider retries, a fallback cascade, token and cost overruns, one run
 * far slower than the rest, and a delegated run whose failure fails its
 * caller. Thresholds: docs/signals.md.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { AgentTracer, type Run } from '@agenttrace/sdk';
import { sleep } from './deterministic.js';

/** Quick runs before the slow one: the latency signal needs 100 runs for a p99. */
const QUICK_RUNS = 100;

async function tolerate(work: Promise<unknown>): Promise<void> {
  await work.catch(() => undefined);
}

async function flaky(run: Run, name: string, attempts: number, provider?: string): Promise<void> {
  await run.retry(
    provider ? 'model' : 'tool',
    name,
    {
      attempts,
      initialDelayMs: 1,
      jitter: false,
      ...(provider ? { provider, model: 'gpt-4o-mini' } : {}),
    },
    async (_step, attempt) => {
      await sleep(1);
      if (attempt < attempts) throw Object.assign(new Error('busy'), { status: 503 });
    },
  );
}

async function call(run: Run, provider: string, model: string, ok: boolean): Promise<void> {
  await tolerate(
    run.step('model', 'chat', { provider, model }, async () => {
      await sleep(2);
      if (!ok) throw Object.assign(new Error('rate limited'), { status: 429 });
    }),
  );
}

/** Options of {@link runMisbehavingAgent}. */
export interface MisbehavingOptions {
  /**
   * Only the misbehaviour of tool steps (loop, retry storm, failure
   * propagation): no model calls, tokens or cost, and no 100 quick runs.
   * @default false
   */
  toolsOnly?: boolean;
}

/** Runs the misbehaving agent; resolves to how many runs it made. */
export async function runMisbehavingAgent(
  provider: TracerProvider,
  options: MisbehavingOptions = {},
): Promise<number> {
  const ops = new AgentTracer({
    agentName: 'ops_agent',
    agentVersion: '0.9.0',
    tracerProvider: provider,
  });
  const helper = new AgentTracer({ agentName: 'ops_helper', tracerProvider: provider });
  let runs = 0;
  const run = async (fn: (run: Run) => Promise<void>) => {
    runs++;
    await tolerate(ops.run(fn));
  };
  const all = options.toolsOnly !== true;
  if (all)
    for (let i = 0; i < QUICK_RUNS; i++)
      await run((r) => r.step('plan', 'triage', async () => undefined));
  // loop: the same tool six times in a row, nothing else in between.
  await run(async (r) => {
    for (let i = 0; i < 6; i++) await r.step('tool', 'list_pods', async () => sleep(1));
  });
  // retry storm: one tool tried 6 times.
  await run((r) => flaky(r, 'restart_service', 6));
  if (all) {
    // retry rate: 24 model retries against one provider within seconds (split over a
    // minute boundary, one minute still holds 12 or more).
    for (let i = 0; i < 8; i++) await run((r) => flaky(r, 'summarize', 4, 'openai'));
    // fallback cascade: rate limited by two providers before a third answers.
    await run(async (r) => {
      await call(r, 'openai', 'gpt-4o-mini', false);
      await call(r, 'anthropic', 'claude-haiku-4-5', false);
      await call(r, 'x_ai', 'grok-3-mini', true);
    });
    // token and cost budgets: a huge context, and an expensive model writing a lot.
    await run((r) =>
      r.step('model', 'read_logs', { provider: 'openai', model: 'gpt-4o-mini' }, async (s) => {
        s.setUsage({ inputTokens: 150_000, outputTokens: 2_000 });
      }),
    );
    await run((r) =>
      r.step(
        'model',
        'write_report',
        { provider: 'anthropic', model: 'claude-opus-4' },
        async (s) => {
          s.setUsage({ inputTokens: 10_000, outputTokens: 20_000 });
        },
      ),
    );
    // latency: one run far slower than the agent's p99.
    await run(() => sleep(500));
  }
  // failure propagation: a delegated helper run fails, and so does its caller.
  await run((r) =>
    r.step('tool', 'delegate_fix', () =>
      helper.run(async () => {
        await sleep(1);
        throw new Error('helper could not fix it');
      }),
    ),
  );
  return runs;
}
