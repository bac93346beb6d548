/**
 * A/B comparison: the runs of each variant (or each agent version, chosen
 * with `compare_by`) side by side: success rate, latency, cost and the
 * feedback scores their runs received, and whether the candidate regressed
 * against the baseline, by the same significance tests `agenttrace
 * regressions` runs (one SQL builder, `regressionSql` of `@agenttrace/query`).
 */
import { regressionSql } from '@agenttrace/query';
import {
  CustomVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { agentDashboard } from '../dashboard.js';
import { DATASOURCE } from '../datasource.js';
import { stat, table, timeSeries, unit } from '../panels.js';
import { compareByVariable, HOURLY_RANGE, RUN_FILTERS, when } from '../variables.js';

/** The arm a row belongs to: the `compare_by` column, '(none)' when unset. */
const ARM = "if(${compare_by} = '', '(none)', ${compare_by}) AS arm";
const RUNS = `FROM agent_runs\nWHERE $__timeFilter(started_at) AND ${RUN_FILTERS}`;

/** The option of the baseline and candidate variables that lets the test pick the pair. */
export const AUTO_ARM = '(auto)';

/** A baseline or candidate arm: `(auto)` or a value of the `compare_by` column seen in the range. */
function armVariable(name: 'baseline' | 'candidate', label: string) {
  const rawSql = [
    `SELECT arm FROM (SELECT '${AUTO_ARM}' AS arm, 0 AS o UNION ALL`,
    '  SELECT DISTINCT ${compare_by} AS arm, 1 AS o FROM agent_stats_hourly',
    `  WHERE ${HOURLY_RANGE} AND \${compare_by} != '' AND ${when('agent', 'agent')})`,
    'ORDER BY o, arm',
  ].join('\n');
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ editorType: 'sql', rawSql })
    .definition(rawSql)
    .current({ text: AUTO_ARM, value: AUTO_ARM, selected: true })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.Disabled);
}

function customVariable(name: string, label: string, values: string[]) {
  return new CustomVariableBuilder(name)
    .label(label)
    .values(values.join(','))
    .options(values.map((v, i) => ({ text: v, value: v, selected: i === 0 })))
    .current({ text: values[0]!, value: values[0]!, selected: true });
}

/** `(auto)` is the builder's '' (pick the pair); any other value is that arm. */
const arm = (name: string) =>
  `if(\${${name}:sqlstring} = '${AUTO_ARM}', '', \${${name}:sqlstring})`;

/**
 * The regression test for the chosen agents, environment and range, by
 * `compare_by`: the same SQL as `listRegressions`, bound to the variables.
 */
const REGRESSIONS = regressionSql({
  runFilter: `$__timeFilter(started_at) AND ${when('agent', 'agent')} AND ${when('environment', 'environment')}`,
  // the days of the range and one either side (a run's day is its start's date on the server)
  dayFilter: 'day >= toDate($__fromTime) - 1 AND day <= toDate($__toTime) + 1',
  armColumn: '${compare_by}',
  baseline: arm('baseline'),
  candidate: arm('candidate'),
  alpha: '${alpha:sqlstring}',
  minRuns: '${min_runs:sqlstring}',
});

/** Builds the A/B comparison dashboard. */
export function abComparisonDashboard() {
  return agentDashboard(
    'agenttrace-ab',
    'agenttrace / A/B comparison',
    'Variants or versions side by side: success rate, latency, cost and feedback.',
  )
    .withVariable(compareByVariable())
    .withVariable(armVariable('baseline', 'Baseline'))
    .withVariable(armVariable('candidate', 'Candidate'))
    .withVariable(customVariable('alpha', 'Significance level', ['0.05', '0.01', '0.1']))
    .withVariable(customVariable('min_runs', 'Min runs per arm', ['20', '10', '30', '50', '100']))
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
      stat({
        title: 'Regressions',
        description:
          'Metrics on which a candidate is significantly worse than its baseline (p < alpha, both arms with at least min runs).',
        rawSql: `SELECT countIf(regressed = 1) AS regressions FROM (\n${REGRESSIONS}\n)`,
        place: { x: 0, y: 7, w: 4, h: 9 },
        decimals: 0,
      }),
    )
    .withPanel(
      table({
        title: 'Regression tests',
        description:
          'Candidate against baseline (pick them above, or (auto): the newest version against the one before, every variant against the most-run one). ' +
          'Success rate: pooled two-proportion z-test; p95 latency and cost per run: Mann-Whitney U; all one-sided (candidate worse). ' +
          'verdict: regressed, no_regression, or too_few_runs (fewer than min runs in an arm).',
        rawSql: REGRESSIONS,
        place: { x: 4, y: 7, w: 20, h: 9 },
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
        place: { x: 0, y: 16, w: 12, h: 8 },
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
        place: { x: 12, y: 16, w: 12, h: 8 },
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
        place: { x: 0, y: 24, w: 12, h: 8 },
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
        place: { x: 12, y: 24, w: 12, h: 8 },
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
        place: { x: 0, y: 32, w: 24, h: 8 },
      }),
    );
}
