/**
 * What the views say about one pipeline's traces, read through
 * `@agenttrace/query` (runs, steps, failures) and SQL on `agent_stats`: the
 * figures the real-source tests assert and docs/instrumenting.md tabulates.
 */
import type { Store } from '@agenttrace/clickhouse-exporter';
import {
  getRuns,
  getRunSteps,
  listFailures,
  listRuns,
  type FailureRow,
  type RunRow,
  type StepRow,
} from '@agenttrace/query';
import { sqlRows } from './collector-pipeline.js';

/** A run with its steps and its classified failures. */
export interface RunSummary {
  readonly run: RunRow;
  readonly steps: StepRow[];
  readonly failures: FailureRow[];
}

/** The runs stored under `service`, by agent name (one run per name expected). */
export async function runsByAgent(
  store: Store,
  service: string,
): Promise<Record<string, RunSummary>> {
  const runs = await listRuns(store.client, { limit: 1000 });
  return summarize(
    store,
    runs.filter((r) => r.service === service),
  );
}

/** The runs of the traces `traceIds` (32 hex digits), by agent name (one run per name expected). */
export async function runsInTraces(
  store: Store,
  traceIds: readonly string[],
): Promise<Record<string, RunSummary>> {
  const runs: RunRow[] = [];
  for (const id of traceIds) runs.push(...(await getRuns(store.client, id)));
  return summarize(store, runs);
}

async function summarize(
  store: Store,
  runs: readonly RunRow[],
): Promise<Record<string, RunSummary>> {
  const out: Record<string, RunSummary> = {};
  for (const run of runs) {
    if (out[run.agent] !== undefined) throw new Error(`two runs named ${run.agent}`);
    out[run.agent] = {
      run,
      steps: await getRunSteps(store.client, run.run_id),
      failures: await listFailures(store.client, { runId: run.run_id }),
    };
  }
  return out;
}

/** `[step_type, model or tool, provider]` of each step, sorted (spans of one millisecond have no order). */
export function stepShapes(steps: readonly StepRow[]): string[][] {
  return steps.map((s) => [s.step_type, s.model || s.tool, s.provider]).sort();
}

/** One `agent_stats` row per step type and model of `service`. */
export interface StatsLine {
  step_type: string;
  model: string;
  provider: string;
  steps: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
}

/** `agent_stats` of `service`, summed over hours and agents. */
export async function statsOf(store: Store, service: string): Promise<StatsLine[]> {
  return sqlRows<StatsLine>(
    store,
    `SELECT step_type, model, provider, toUInt32(sum(steps)) AS steps,
       toUInt32(sum(input_tokens)) AS input_tokens, toUInt32(sum(output_tokens)) AS output_tokens,
       sum(cost_usd) AS cost_usd
     FROM agent_stats WHERE service = {service:String}
     GROUP BY step_type, model, provider ORDER BY step_type, model, provider`,
    { service },
  );
}
