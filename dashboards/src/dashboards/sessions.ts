/**
 * Sessions: runs grouped by their pseudonymous session id
 * (`agenttrace.session.id`, a keyed hash; never the conversation id as
 * given; docs/privacy.md). Active sessions over time, runs and turns per
 * session, and the latest sessions with their tokens, cost and failures.
 * The agent, version and environment variables pick sessions by their runs
 * (agent_session_index); a session's totals are always of all its runs.
 */
import { agentDashboard } from '../dashboard.js';
import { stat, table, timeSeries, unit } from '../panels.js';
import { RUN_FILTERS } from '../variables.js';

const RUNS = `FROM agent_session_index\nWHERE $__timeFilter(started_at) AND ${RUN_FILTERS}`;

/** Builds the Sessions dashboard. */
export function sessionsDashboard() {
  return agentDashboard(
    'agenttrace-sessions',
    'agenttrace / Sessions',
    'Conversations and sessions: runs grouped by their pseudonymous session id, with turns, duration, tokens, cost and failures.',
  )
    .withPanel(
      stat({
        title: 'Sessions',
        description: 'Sessions with a run in the range.',
        rawSql: ['SELECT uniqExact(session_id) AS sessions', RUNS].join('\n'),
        place: { x: 0, y: 0, w: 6, h: 5 },
        unit: 'short',
      }),
    )
    .withPanel(
      stat({
        title: 'Runs per session',
        description: 'Runs in the range per session with a run in the range.',
        rawSql: [
          'SELECT if(uniqExact(session_id) = 0, 0, count() / uniqExact(session_id)) AS runs_per_session',
          RUNS,
        ].join('\n'),
        place: { x: 6, y: 0, w: 6, h: 5 },
        unit: 'short',
        decimals: 1,
      }),
    )
    .withPanel(
      stat({
        title: 'Sessions with a failed run',
        description: 'Sessions with at least one failed run in the range.',
        rawSql: ["SELECT uniqExactIf(session_id, status = 'failure') AS sessions", RUNS].join('\n'),
        place: { x: 12, y: 0, w: 12, h: 5 },
        unit: 'short',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Active sessions over time',
        description: 'Sessions with a run started in each interval.',
        rawSql: [
          'SELECT $__timeInterval(started_at) AS time, uniqExact(session_id) AS sessions',
          RUNS,
          'GROUP BY time ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 5, w: 24, h: 8 },
        unit: 'short',
      }),
    )
    .withPanel(
      table({
        title: 'Latest sessions',
        description:
          'Sessions with a run in the range, most recently active first, up to 200: totals over all their runs.',
        rawSql: [
          'SELECT session_id, last_seen, runs, turns, duration_ms,',
          '  input_tokens + output_tokens AS tokens, cost_usd, failed_runs,',
          "  arrayStringConcat(failure_codes, ', ') AS failure_codes,",
          "  arrayStringConcat(agents, ', ') AS agents, arrayStringConcat(services, ', ') AS services",
          'FROM agent_sessions',
          `WHERE session_id IN (SELECT session_id ${RUNS})`,
          'ORDER BY last_seen DESC LIMIT 200',
        ].join('\n'),
        place: { x: 0, y: 13, w: 24, h: 10 },
        overrides: { duration_ms: [unit('ms')], cost_usd: [unit('currencyUSD')] },
      }),
    );
}
