/**
 * Run explorer: every run in the range with its outcome, duration, steps,
 * cost and first failure; each row opens the run's trace in Grafana's trace
 * view (Explore, ClickHouse data source, trace-id query).
 */
import { agentDashboard } from '../dashboard.js';
import { displayName, stat, table, unit } from '../panels.js';
import { traceLinkProperty } from '../trace-link.js';
import { RUN_FILTERS, STEP_FILTERS, statusVariable, when } from '../variables.js';

const RUNS = `FROM agent_runs\nWHERE $__timeFilter(started_at) AND ${RUN_FILTERS} AND ${when('status', 'status')}`;

/** Builds the Run explorer dashboard. */
export function runExplorerDashboard() {
  return agentDashboard(
    'agenttrace-runs',
    'agenttrace / Run explorer',
    "The runs in the range; click a run or trace id to open the run's trace.",
  )
    .withVariable(statusVariable())
    .withPanel(
      stat({
        title: 'Runs shown',
        description: 'Runs matching the filters.',
        rawSql: `SELECT count() AS runs\n${RUNS}`,
        place: { x: 0, y: 0, w: 6, h: 4 },
        unit: 'short',
      }),
    )
    .withPanel(
      stat({
        title: 'Median steps per run',
        description: 'Median number of steps of the runs shown.',
        rawSql: `SELECT quantile(0.5)(step_count) AS steps\n${RUNS}`,
        place: { x: 6, y: 0, w: 6, h: 4 },
        unit: 'short',
      }),
    )
    .withPanel(
      stat({
        title: 'Median duration',
        description: 'Median run duration of the runs shown.',
        rawSql: `SELECT quantile(0.5)(duration_ms) AS duration_ms\n${RUNS}`,
        place: { x: 12, y: 0, w: 6, h: 4 },
        unit: 'ms',
      }),
    )
    .withPanel(
      stat({
        title: 'Cost of runs shown',
        description: 'Model cost of the runs shown at list prices.',
        rawSql: `SELECT sum(cost_usd) AS cost_usd\n${RUNS}`,
        place: { x: 18, y: 0, w: 6, h: 4 },
        unit: 'currencyUSD',
        decimals: 4,
      }),
    )
    .withPanel(
      table({
        title: 'Runs',
        description: 'Newest first, up to 500. run_id and trace_id open the trace view.',
        rawSql: [
          'SELECT started_at, run_id, trace_id, agent, agent_version, variant, environment, status,',
          '  duration_ms, step_count AS steps, retry_count AS retries, failed_step_count AS failed_steps,',
          '  input_tokens, output_tokens, cost_usd, failure_type, failure_code, failure_step',
          RUNS,
          'ORDER BY started_at DESC LIMIT 500',
        ].join('\n'),
        place: { x: 0, y: 4, w: 24, h: 14 },
        overrides: {
          run_id: [traceLinkProperty()],
          trace_id: [traceLinkProperty()],
          started_at: [displayName('started')],
          duration_ms: [unit('ms')],
          cost_usd: [unit('currencyUSD')],
        },
      }),
    )
    .withPanel(
      table({
        title: 'Failed steps',
        description: 'Steps that failed in the range, newest first; trace_id opens the trace view.',
        rawSql: [
          'SELECT started_at, run_id, trace_id, step_type, step_name, provider, model, attempt,',
          '  duration_ms, http_status, failure_type, failure_code',
          'FROM agent_steps',
          `WHERE $__timeFilter(started_at) AND failure_code != '' AND ${STEP_FILTERS}`,
          'ORDER BY started_at DESC LIMIT 200',
        ].join('\n'),
        place: { x: 0, y: 18, w: 24, h: 10 },
        overrides: {
          trace_id: [traceLinkProperty()],
          started_at: [displayName('started')],
          duration_ms: [unit('ms')],
        },
      }),
    );
}
