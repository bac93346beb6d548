/**
 * Overview: how the agents are doing. Run counts, success rate, latency
 * percentiles and cost from `agent_runs`; tokens and cost by model from the
 * hourly `agent_stats` rollup; failures from `agent_failures`; failing tools
 * from `agent_steps`.
 */
import { agentDashboard } from '../dashboard.js';
import { barChart, stat, table, timeSeries, unit } from '../panels.js';
import { HOURLY_RANGE, RUN_FILTERS, STEP_FILTERS } from '../variables.js';

const RUNS = `FROM agent_runs\nWHERE $__timeFilter(started_at) AND ${RUN_FILTERS}`;

/** Builds the Overview dashboard. */
export function overviewDashboard() {
  return agentDashboard(
    'agenttrace-overview',
    'agenttrace / Overview',
    'Runs, success rate, latency, failures, tokens and cost of the selected agents.',
  )
    .withPanel(
      stat({
        title: 'Runs',
        description: 'Runs started in the range.',
        rawSql: `SELECT count() AS runs\n${RUNS}`,
        place: { x: 0, y: 0, w: 4, h: 4 },
        unit: 'short',
      }),
    )
    .withPanel(
      stat({
        title: 'Success rate',
        description:
          "Share of runs whose status is 'success' (partial and failed runs count against it).",
        rawSql: `SELECT countIf(status = 'success') / nullIf(count(), 0) AS success_rate\n${RUNS}`,
        place: { x: 4, y: 0, w: 4, h: 4 },
        unit: 'percentunit',
        decimals: 1,
      }),
    )
    .withPanel(
      stat({
        title: 'Run latency',
        description: 'Run duration percentiles over the range.',
        rawSql: `SELECT quantile(0.5)(duration_ms) AS p50, quantile(0.95)(duration_ms) AS p95, quantile(0.99)(duration_ms) AS p99\n${RUNS}`,
        place: { x: 8, y: 0, w: 8, h: 4 },
        unit: 'ms',
      }),
    )
    .withPanel(
      stat({
        title: 'Failed runs',
        description: "Runs whose status is 'failure'.",
        rawSql: `SELECT countIf(status = 'failure') AS failed_runs\n${RUNS}`,
        place: { x: 16, y: 0, w: 4, h: 4 },
        unit: 'short',
      }),
    )
    .withPanel(
      stat({
        title: 'Cost',
        description:
          'Model cost of the runs at list prices (model_prices); unpriced models count 0.',
        rawSql: `SELECT sum(cost_usd) AS cost_usd\n${RUNS}`,
        place: { x: 20, y: 0, w: 4, h: 4 },
        unit: 'currencyUSD',
        decimals: 4,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Runs over time',
        description: 'Runs started per interval, by outcome.',
        rawSql: [
          'SELECT $__timeInterval(started_at) AS time,',
          "  countIf(status = 'success') AS success,",
          "  countIf(status = 'partial') AS partial,",
          "  countIf(status = 'failure') AS failure",
          RUNS,
          'GROUP BY time ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 4, w: 12, h: 8 },
        unit: 'short',
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Success rate',
        description: "Share of the interval's runs that succeeded.",
        rawSql: [
          "SELECT $__timeInterval(started_at) AS time, countIf(status = 'success') / count() AS success_rate",
          RUNS,
          'GROUP BY time ORDER BY time',
        ].join('\n'),
        place: { x: 12, y: 4, w: 12, h: 8 },
        unit: 'percentunit',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Run latency p50 / p95 / p99',
        description: 'Run duration percentiles per interval.',
        rawSql: [
          'SELECT $__timeInterval(started_at) AS time,',
          '  quantile(0.5)(duration_ms) AS p50, quantile(0.95)(duration_ms) AS p95, quantile(0.99)(duration_ms) AS p99',
          RUNS,
          'GROUP BY time ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 12, w: 12, h: 8 },
        unit: 'ms',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Cost by model',
        description:
          'Model cost per interval by provider/model, from the hourly agent_stats rollup.',
        rawSql: [
          "SELECT $__timeInterval(bucket) AS time, concat(provider, '/', model) AS series, sum(cost_usd) AS cost_usd",
          'FROM agent_stats',
          `WHERE ${HOURLY_RANGE} AND step_type = 'model' AND ${RUN_FILTERS}`,
          'GROUP BY time, series ORDER BY time',
        ].join('\n'),
        place: { x: 12, y: 12, w: 12, h: 8 },
        unit: 'currencyUSD',
        stacked: true,
      }),
    )
    .withPanel(
      barChart({
        title: 'Failures by type and code',
        description: 'Run-level failures (agent_failures, level run) by failure type / code.',
        rawSql: [
          "SELECT concat(failure_type, ' / ', failure_code) AS failure, count() AS failures",
          'FROM agent_failures',
          `WHERE level = 'run' AND $__timeFilter(occurred_at) AND ${RUN_FILTERS}`,
          'GROUP BY failure ORDER BY failures DESC LIMIT 20',
        ].join('\n'),
        place: { x: 0, y: 20, w: 8, h: 9 },
        unit: 'short',
      }),
    )
    .withPanel(
      table({
        title: 'Tokens and cost by model',
        description:
          'Model steps, tokens and cost by provider and model (hourly agent_stats rollup).',
        rawSql: [
          'SELECT provider, model, sum(steps) AS calls, sum(input_tokens) AS input_tokens,',
          '  sum(output_tokens) AS output_tokens, sum(cached_tokens) AS cached_tokens, sum(cost_usd) AS cost_usd',
          'FROM agent_stats',
          `WHERE ${HOURLY_RANGE} AND step_type = 'model' AND ${RUN_FILTERS}`,
          'GROUP BY provider, model ORDER BY cost_usd DESC',
        ].join('\n'),
        place: { x: 8, y: 20, w: 16, h: 9 },
        overrides: { cost_usd: [unit('currencyUSD')] },
      }),
    )
    .withPanel(
      table({
        title: 'Top failing tools',
        description:
          'Tool steps by failures, with their failure rate and most common failure code.',
        rawSql: [
          "SELECT tool, count() AS calls, countIf(failure_code != '') AS failures, failures / calls AS failure_rate,",
          "  topKIf(1)(failure_code, failure_code != '')[1] AS top_failure_code",
          'FROM agent_steps',
          `WHERE $__timeFilter(started_at) AND step_type = 'tool' AND ${STEP_FILTERS}`,
          'GROUP BY tool HAVING failures > 0 ORDER BY failures DESC LIMIT 10',
        ].join('\n'),
        place: { x: 0, y: 29, w: 24, h: 8 },
        overrides: { failure_rate: [unit('percentunit')] },
      }),
    );
}
