/**
 * Signals: the behaviour patterns of `agent_signals_window` over the range (loops, retry storms,
 * retry rate, fallback cascades, token and cost budgets, latency above p99,
 * failure propagation) over time and per agent, and the latest ones with a
 * link to their run's trace. Rules and thresholds: docs/signals.md.
 */
import { agentDashboard } from '../dashboard.js';
import { barChart, stat, table, timeSeries } from '../panels.js';
import { SIGNALS_IN_RANGE } from '../signals-range.js';
import { traceLinkProperty } from '../trace-link.js';
import { RUN_FILTERS } from '../variables.js';

const FROM = `FROM ${SIGNALS_IN_RANGE}\nWHERE $__timeFilter(detected_at) AND ${RUN_FILTERS}`;

/** Builds the Signals dashboard. */
export function signalsDashboard() {
  return agentDashboard(
    'agenttrace-signals',
    'agenttrace / Signals',
    'Loops, retry storms, fallback cascades, budget overruns, slow runs and propagated failures, found from trace structure alone.',
  )
    .withPanel(
      stat({
        title: 'Signals fired',
        description: 'Signals detected in the range, all kinds.',
        rawSql: ['SELECT count() AS signals', FROM].join('\n'),
        place: { x: 0, y: 0, w: 6, h: 5 },
        unit: 'short',
      }),
    )
    .withPanel(
      stat({
        title: 'Runs with a signal',
        description: 'Distinct runs with at least one run-level signal.',
        rawSql: ["SELECT uniqExactIf(run_id, run_id != '') AS runs", FROM].join('\n'),
        place: { x: 6, y: 0, w: 6, h: 5 },
        unit: 'short',
      }),
    )
    .withPanel(
      barChart({
        title: 'Signals by kind',
        description: 'How often each signal fired in the range.',
        rawSql: [
          'SELECT signal, count() AS signals',
          FROM,
          'GROUP BY signal ORDER BY signals DESC',
        ].join('\n'),
        place: { x: 12, y: 0, w: 12, h: 5 },
        unit: 'short',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Signals over time',
        description: 'Signals per interval by kind.',
        rawSql: [
          'SELECT $__timeInterval(detected_at) AS time, signal, count() AS signals',
          FROM,
          'GROUP BY time, signal ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 5, w: 24, h: 8 },
        unit: 'short',
        stacked: true,
      }),
    )
    .withPanel(
      table({
        title: 'Signals by agent',
        description:
          'Per agent, version and signal: how many fired, the worst value and its threshold.',
        rawSql: [
          'SELECT agent, agent_version, signal, count() AS signals, max(value) AS worst,',
          '  any(threshold) AS threshold',
          FROM,
          'GROUP BY agent, agent_version, signal ORDER BY signals DESC LIMIT 100',
        ].join('\n'),
        place: { x: 0, y: 13, w: 24, h: 8 },
      }),
    )
    .withPanel(
      table({
        title: 'Latest signals',
        description: 'Newest first, up to 200; run_id opens the run in the trace view.',
        rawSql: [
          'SELECT detected_at, signal, agent, agent_version, variant, subject, value, threshold, run_id',
          FROM,
          'ORDER BY detected_at DESC LIMIT 200',
        ].join('\n'),
        place: { x: 0, y: 21, w: 24, h: 10 },
        overrides: { run_id: [traceLinkProperty()] },
      }),
    );
}
