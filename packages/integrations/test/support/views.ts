/**
 * What the views say about one pipeline's traces (SQL on the views, one query
 * per view: chDB is slow, and the store is shared by both paths), and a leak
 * scan over the raw table and every view a user can query.
 */
import type { Store } from '@agenttrace/clickhouse-exporter';
import type { FailureRow, RunRow, StepRow } from '@agenttrace/query';
import { PLANTED_VALUES } from './fake-provider.js';
import { sqlRows, type Pipeline } from './collector-pipeline.js';

/** The per-hour rollups of one service, summed: what dashboards and alerts read. */
export interface ServiceStats {
  /** `agent_stats_hourly`: runs, steps, tokens, cost. */
  readonly runs: number;
  readonly steps: number;
  readonly modelSteps: number;
  readonly toolSteps: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  /** `agent_stats`: model steps, tokens and cost, from the step rollup. */
  readonly statsModelSteps: number;
  readonly statsInputTokens: number;
  readonly statsOutputTokens: number;
  readonly statsCostUsd: number;
}

/** Runs, steps, failures and rollups of one pipeline's traces. */
export interface ViewsOf {
  readonly runs: RunRow[];
  readonly steps: (StepRow & { duplicate_of: string })[];
  readonly failures: FailureRow[];
  readonly stats: ServiceStats;
}

/** Reads the views for every trace `pipeline` stored, oldest first. */
export async function viewsOf(store: Store, pipeline: Pipeline): Promise<ViewsOf> {
  const traces = await pipeline.traceIds();
  const params = { traces, service: pipeline.serviceName };
  const runs = await sqlRows<RunRow>(
    store,
    `SELECT * FROM agent_runs WHERE lower(trace_id) IN {traces:Array(String)} ORDER BY started_at`,
    params,
  );
  const steps = await sqlRows<StepRow & { duplicate_of: string }>(
    store,
    `SELECT * FROM agent_steps WHERE lower(trace_id) IN {traces:Array(String)}
     ORDER BY started_at, seq, span_id`,
    params,
  );
  const failures = await sqlRows<FailureRow>(
    store,
    `SELECT * FROM agent_failures WHERE lower(trace_id) IN {traces:Array(String)}
     ORDER BY occurred_at`,
    params,
  );
  const [hourly] = await sqlRows<Record<string, number>>(
    store,
    `SELECT sum(runs) AS runs, sum(steps) AS steps, sum(model_steps) AS modelSteps,
       sum(tool_steps) AS toolSteps, sum(input_tokens) AS inputTokens,
       sum(output_tokens) AS outputTokens, sum(cost_usd) AS costUsd
     FROM agent_stats_hourly WHERE service = {service:String}`,
    params,
  );
  const [stats] = await sqlRows<Record<string, number>>(
    store,
    `SELECT sum(steps) AS statsModelSteps, sum(input_tokens) AS statsInputTokens,
       sum(output_tokens) AS statsOutputTokens, sum(ifNull(cost_usd, 0)) AS statsCostUsd
     FROM agent_stats WHERE service = {service:String} AND step_type = 'model'`,
    params,
  );
  const numbers = Object.fromEntries(
    Object.entries({ ...hourly, ...stats }).map(([k, v]) => [k, Number(v)]),
  ) as unknown as ServiceStats;
  return { runs, steps, failures, stats: numbers };
}

/** Tables and views a user can read, scanned whole for planted content. */
const SCANNED = [
  'otel_traces',
  'agent_steps',
  'agent_runs',
  'agent_trace_runs',
  'agent_failures',
  'agent_stats',
  'agent_stats_hourly',
] as const;

/** The planted strings found anywhere in {@link SCANNED}, as `table: value`; empty when clean. */
export async function plantedFound(store: Store): Promise<string[]> {
  const found: string[] = [];
  for (const table of SCANNED) {
    const rows = await sqlRows<unknown>(store, `SELECT * FROM ${table}`);
    const text = JSON.stringify(rows).toLowerCase();
    for (const value of PLANTED_VALUES)
      if (text.includes(value.toLowerCase())) found.push(`${table}: ${value}`);
  }
  return found;
}
