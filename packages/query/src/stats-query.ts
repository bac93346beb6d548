/**
 * Aggregated stats from the materialized hourly tables, merged over the
 * requested range: runs, success rate, latency percentiles, steps, retries,
 * tokens and cost, grouped by agent, version, variant, model or provider.
 * Runs of traces without a run span (`agent_trace_runs`) are counted under
 * the name `agent_runs` gives them; `agent_stats` counts their steps there.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  parseFilters,
  statsFiltersSchema,
  type StatsDimension,
  type StatsFiltersInput,
} from './filters.js';
import { selectRows } from './select.js';

/** One stats row; run metrics are null when grouping by model or provider. */
export interface StatsRow {
  agent: string;
  key: string;
  runs: number | null;
  success_rate: number | null;
  calls: number;
  failed_calls: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  retries: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
}

const RUN_DIMENSION: Partial<Record<StatsDimension, string>> = {
  agent: "''",
  version: 'agent_version',
  variant: 'variant',
};

function rangeFilter(agent: boolean): string {
  const parts = [
    'bucket >= toStartOfHour({since:DateTime64(3)})',
    'bucket < {until:DateTime64(3)}',
  ];
  if (agent) parts.push('agent = {agent:String}');
  return parts.join(' AND ');
}

function runStatsSql(key: string, agentFilter: boolean): string {
  const where = rangeFilter(agentFilter);
  return `
    SELECT agent, key, runs, success_rate, calls, failed_calls, p50_ms, p95_ms, p99_ms, retries,
      input_tokens, output_tokens, cached_tokens, cost_usd
    FROM (
      SELECT agent, ${key} AS key, countMerge(runs) AS runs, sum(successes) / runs AS success_rate,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS q, q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms
      FROM (
        SELECT bucket, toString(agent) AS agent, toString(agent_version) AS agent_version,
          toString(variant) AS variant, runs, toUInt64(successes) AS successes, latency
        FROM agent_run_stats
        UNION ALL
        -- runs of traces without a run span, named as agent_runs names them (not in the rollup:
        -- their name is known only once the trace is stored)
        SELECT toStartOfHour(toDateTime(started_at, 'UTC')) AS bucket, agent, '' AS agent_version,
          '' AS variant, countState() AS runs, toUInt64(countIf(status = 'success')) AS successes,
          quantilesState(0.5, 0.95, 0.99)(duration_ms) AS latency
        FROM agent_trace_runs
        WHERE started_at >= toStartOfHour({since:DateTime64(3)}) AND started_at < {until:DateTime64(3)}
        GROUP BY bucket, agent
      )
      WHERE ${where} GROUP BY agent, key
    ) AS r
    LEFT JOIN (
      SELECT agent, ${key} AS key, sum(steps) AS calls, sum(failed_steps) AS failed_calls, sum(retries) AS retries,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
        sum(cached_tokens) AS cached_tokens, sum(ifNull(cost_usd, 0)) AS cost_usd
      FROM agent_stats WHERE ${where} GROUP BY agent, key
    ) AS s USING (agent, key)
    ORDER BY runs DESC, agent, key`;
}

function modelStatsSql(key: string, agentFilter: boolean): string {
  const where = `${rangeFilter(agentFilter)} AND step_type = 'model'`;
  return `
    SELECT '' AS agent, key, NULL AS runs, 1 - failed_calls / calls AS success_rate, calls, failed_calls,
      p50_ms, p95_ms, p99_ms, retries, input_tokens, output_tokens, cached_tokens, cost_usd
    FROM (
      SELECT ${key} AS key,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS q, q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms
      FROM agent_step_stats WHERE ${where} GROUP BY key
    ) AS m
    LEFT JOIN (
      -- counts and tokens from agent_stats: a model call seen twice counts once there
      SELECT ${key} AS key, sum(steps) AS calls, sum(failed_steps) AS failed_calls, sum(retries) AS retries,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cached_tokens) AS cached_tokens,
        sum(ifNull(cost_usd, 0)) AS cost_usd
      FROM agent_stats WHERE ${where} GROUP BY key
    ) AS c USING (key)
    ORDER BY calls DESC, key`;
}

/**
 * Stats over `[since, until)` (default: the last 24 hours), grouped by `by`.
 * Throws `InvalidQueryError` naming a bad filter.
 */
export async function getStats(
  client: ClickHouseClient,
  input: StatsFiltersInput = {},
): Promise<StatsRow[]> {
  const f = parseFilters(statsFiltersSchema, input);
  const until = f.until ?? new Date(Date.now() + 3_600_000);
  const since = f.since ?? new Date(until.getTime() - 86_400_000 - 3_600_000);
  const runKey = RUN_DIMENSION[f.by];
  const sql =
    runKey !== undefined
      ? runStatsSql(runKey, f.agent !== undefined)
      : modelStatsSql(f.by === 'model' ? 'model' : 'provider', f.agent !== undefined);
  return selectRows<StatsRow>(client, sql, {
    since: since.getTime() / 1000,
    until: until.getTime() / 1000,
    agent: f.agent,
  });
}
