/**
 * A/B comparison: the runs of each variant (or each agent version, chosen
 * with `compare_by`) side by side: success rate, latency, cost and the
 * feedback scores their runs received.
 */
import { agentDashboard } from '../dashboard.js';
import { table, timeSeries, unit } from '../panels.js';
import { compareByVariable, RUN_FILTERS } from '../variables.js';

/** The arm a row belongs to: the `compare_by` column, '(none)' when unset. */
const ARM = "if(${compare_by} = '', '(none)', ${compare_by}) AS arm";
const RUNS = `FROM agent_runs\nWHERE $__timeFilter(started_at) AND ${RUN_FILTERS}`;

/** Builds the A/B comparison dashboard. */
export function abComparisonDashboard() {
  return agentDashboard(
    'agenttrace-ab',
    'agenttrace / A/B comparison',
    'Variants or versions side by side: success rate, latency, cost and feedback.',
  )
    .withVariable(compareByVariable())
    .withPanel(
      table({
        title: 'Arms side by side',
        description:
          'Per variant (or version): runs, success rate, latency percentiles, cost and steps.',
        rawSql: [
          `SELECT ${ARM}, count() AS runs, countIf(status = 'success') / runs AS success_rate,`,
          '  quantile(0.5)(duration_ms) AS p50_ms, quantile(0.95)(duration_ms) AS p95_ms,',
          '  avg(cost_usd) AS cost_per_run, sum(cost_usd) AS total_cost_usd,',
          '  avg(step_count) AS steps_per_run, avg(retry_count) AS retries_per_run',
          RUNS,
          'GROUP BY arm ORDER BY arm',
        ].join('\n'),
        place: { x: 0, y: 0, w: 24, h: 7 },
        overrides: {
          success_rate: [unit('percentunit')],
          p50_ms: [unit('ms')],
          p95_ms: [unit('ms')],
          cost_per_run: [unit('currencyUSD')],
          total_cost_usd: [unit('currencyUSD')],
        },
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Success rate by arm',
        description: "Share of each arm's runs that succeeded, per interval.",
        rawSql: [
          `SELECT $__timeInterval(started_at) AS time, ${ARM}, countIf(status = 'success') / count() AS success_rate`,
          RUNS,
          'GROUP BY time, arm ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 7, w: 12, h: 8 },
        unit: 'percentunit',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'p95 latency by arm',
        description: 'Run duration p95 of each arm, per interval.',
        rawSql: [
          `SELECT $__timeInterval(started_at) AS time, ${ARM}, quantile(0.95)(duration_ms) AS p95_ms`,
          RUNS,
          'GROUP BY time, arm ORDER BY time',
        ].join('\n'),
        place: { x: 12, y: 7, w: 12, h: 8 },
        unit: 'ms',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Cost per run by arm',
        description: 'Average model cost of a run of each arm, per interval.',
        rawSql: [
          `SELECT $__timeInterval(started_at) AS time, ${ARM}, avg(cost_usd) AS cost_per_run`,
          RUNS,
          'GROUP BY time, arm ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 15, w: 12, h: 8 },
        unit: 'currencyUSD',
      }),
    )
    .withPanel(
      table({
        title: 'Feedback scores by arm',
        description: 'Feedback recorded on the runs of each arm (agent_feedback), per metric.',
        rawSql: [
          `SELECT ${ARM}, metric, count() AS scores, avg(score_value) AS avg_score,`,
          '  min(score_value) AS min_score, max(score_value) AS max_score',
          'FROM agent_feedback',
          `WHERE $__timeFilter(created_at) AND ${RUN_FILTERS}`,
          'GROUP BY arm, metric ORDER BY metric, arm',
        ].join('\n'),
        place: { x: 12, y: 15, w: 12, h: 8 },
      }),
    )
    .withPanel(
      table({
        title: 'Failure codes by arm',
        description: 'Run-level failures of each arm by failure code.',
        rawSql: [
          `SELECT ${ARM}, failure_code, count() AS failures`,
          'FROM agent_failures',
          `WHERE level = 'run' AND $__timeFilter(occurred_at) AND ${RUN_FILTERS}`,
          'GROUP BY arm, failure_code ORDER BY arm, failures DESC',
        ].join('\n'),
        place: { x: 0, y: 23, w: 24, h: 8 },
      }),
    );
}
