/**
 * Failure analysis: what fails, where and how often, from `agent_failures`
 * (run- and step-level classified failures) and `agent_runs`.
 */
import { agentDashboard } from '../dashboard.js';
import { barChart, table, timeSeries, unit } from '../panels.js';
import { traceLinkProperty } from '../trace-link.js';
import { RUN_FILTERS } from '../variables.js';

const failures = (level: 'run' | 'step') =>
  `FROM agent_failures\nWHERE level = '${level}' AND $__timeFilter(occurred_at) AND ${RUN_FILTERS}`;

/** Builds the Failure analysis dashboard. */
export function failureAnalysisDashboard() {
  return agentDashboard(
    'agenttrace-failures',
    'agenttrace / Failure analysis',
    'Classified failures of runs and steps: types, codes, steps, agents and versions.',
  )
    .withPanel(
      timeSeries({
        title: 'Run failures by type',
        description:
          'Run-level failures per interval by failure type (tool, model, retrieval, orchestration).',
        rawSql: [
          'SELECT $__timeInterval(occurred_at) AS time, failure_type, count() AS failures',
          failures('run'),
          'GROUP BY time, failure_type ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 0, w: 12, h: 8 },
        unit: 'short',
        stacked: true,
      }),
    )
    .withPanel(
      barChart({
        title: 'Run failures by code',
        description: 'Run-level failures by failure code.',
        rawSql: [
          'SELECT failure_code, count() AS failures',
          failures('run'),
          'GROUP BY failure_code ORDER BY failures DESC LIMIT 20',
        ].join('\n'),
        place: { x: 12, y: 0, w: 12, h: 8 },
        unit: 'short',
      }),
    )
    .withPanel(
      table({
        title: 'Failure rate by agent and version',
        description: 'Runs, failed and partial runs and the failure rate per agent version.',
        rawSql: [
          "SELECT agent, agent_version, count() AS runs, countIf(status = 'failure') AS failed,",
          "  countIf(status = 'partial') AS partial, failed / runs AS failure_rate",
          'FROM agent_runs',
          `WHERE $__timeFilter(started_at) AND ${RUN_FILTERS}`,
          'GROUP BY agent, agent_version ORDER BY failure_rate DESC',
        ].join('\n'),
        place: { x: 0, y: 8, w: 12, h: 8 },
        overrides: { failure_rate: [unit('percentunit')] },
      }),
    )
    .withPanel(
      table({
        title: 'Where runs fail',
        description: 'The step each run failure is attributed to, with its type and code.',
        rawSql: [
          'SELECT failure_step, failure_type, failure_code, count() AS failures, uniqExact(run_id) AS runs',
          failures('run'),
          'GROUP BY failure_step, failure_type, failure_code ORDER BY failures DESC LIMIT 50',
        ].join('\n'),
        place: { x: 12, y: 8, w: 12, h: 8 },
      }),
    )
    .withPanel(
      table({
        title: 'Step failures',
        description:
          'Failed steps by step type, step name and failure code (retried attempts included).',
        rawSql: [
          'SELECT step_type, failure_step AS step, failure_code, count() AS failures, uniqExact(run_id) AS runs',
          failures('step'),
          'GROUP BY step_type, step, failure_code ORDER BY failures DESC LIMIT 50',
        ].join('\n'),
        place: { x: 0, y: 16, w: 12, h: 9 },
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Step failures by code',
        description: 'Step-level failures per interval by failure code.',
        rawSql: [
          'SELECT $__timeInterval(occurred_at) AS time, failure_code, count() AS failures',
          failures('step'),
          'GROUP BY time, failure_code ORDER BY time',
        ].join('\n'),
        place: { x: 12, y: 16, w: 12, h: 9 },
        unit: 'short',
        stacked: true,
      }),
    )
    .withPanel(
      table({
        title: 'Failed and partial runs',
        description: 'Newest first, up to 200; trace_id opens the trace view.',
        rawSql: [
          'SELECT started_at, run_id, trace_id, agent, agent_version, variant, status,',
          '  failure_type, failure_code, failure_step, failed_step_count AS failed_steps, duration_ms',
          'FROM agent_runs',
          `WHERE $__timeFilter(started_at) AND status != 'success' AND ${RUN_FILTERS}`,
          'ORDER BY started_at DESC LIMIT 200',
        ].join('\n'),
        place: { x: 0, y: 25, w: 24, h: 10 },
        overrides: {
          trace_id: [traceLinkProperty()],
          run_id: [traceLinkProperty()],
          duration_ms: [unit('ms')],
        },
      }),
    );
}
