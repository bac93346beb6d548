/**
 * Grafana alert rules for agenttrace, as a Grafana alerting provisioning file
 * (apiVersion 1, `groups`): error rate, cost per hour, p95 run latency, and
 * one rule per signal of `agent_signals`. Each rule is a ClickHouse query (A),
 * a reduce to its last value (B) and a threshold (C). The thresholds are the
 * variables of {@link ALERT_THRESHOLDS}; `build.ts` writes the file to
 * `provisioning/alerting/agenttrace-rules.json`.
 */
import { DATASOURCE, DATASOURCE_UID, QueryFormat } from './datasource.js';
import { SIGNALS_IN_RANGE } from './signals-range.js';

/** Default alert thresholds; pass others to {@link buildAlertRules}. */
export const ALERT_THRESHOLDS = {
  /** Failed runs / runs over the last 15 minutes. @default 0.1 */
  errorRate: 0.1,
  /** Cost of the runs started in the last hour, in USD. @default 10 */
  costPerHourUsd: 10,
  /** p95 run latency over the last 15 minutes, in ms. @default 30_000 */
  p95LatencyMs: 30_000,
  /** Signals of one kind in the last 15 minutes before the signal's rule fires. @default 1 */
  signalsPerWindow: 1,
};
/** The thresholds of the alert rules. */
export type AlertThresholds = typeof ALERT_THRESHOLDS;

/** Signals with an alert rule each: every signal `agent_signals` emits. */
export const ALERTED_SIGNALS = [
  'loop',
  'retry_storm',
  'retry_rate',
  'fallback_cascade',
  'token_budget',
  'cost_budget',
  'latency_p99',
  'failure_propagated',
] as const;

/** Folder (title) the rules are provisioned in; the dashboards' folder. */
export const ALERT_FOLDER = 'agenttrace';

/** One query of a rule, as `QueryV1` in Grafana's provisioning file. */
export interface AlertQuery {
  refId: string;
  queryType: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

/** One rule, as `AlertRuleV1`. */
export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  dashboardUid: string;
  panelId: number;
  noDataState: 'OK' | 'NoData' | 'Alerting' | 'KeepLast';
  execErrState: 'OK' | 'Error' | 'Alerting' | 'KeepLast';
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

/** The provisioning file, as `AlertingFileV1` (rules only). */
export interface AlertingFile {
  apiVersion: 1;
  groups: {
    orgId: number;
    name: string;
    folder: string;
    interval: string;
    rules: AlertRule[];
  }[];
}

interface RuleSpec {
  uid: string;
  title: string;
  summary: string;
  /** One row, one numeric column `value`; `$__timeFilter` over the window. */
  rawSql: string;
  windowSeconds: number;
  threshold: number;
  /** `gt` fires above the threshold; `gt` with threshold − ε reads as "at least". */
  evaluator: 'gt' | 'lt';
}

/** Where a firing rule links: the signals dashboard (panel "Latest signals"). */
const SIGNALS_DASHBOARD = { uid: 'agenttrace-signals', panelId: 6 };
const OVERVIEW_DASHBOARD = { uid: 'agenttrace-overview', panelId: 1 };

function rule(spec: RuleSpec, link: { uid: string; panelId: number }): AlertRule {
  return {
    uid: spec.uid,
    title: spec.title,
    condition: 'C',
    data: [
      {
        refId: 'A',
        queryType: '',
        relativeTimeRange: { from: spec.windowSeconds, to: 0 },
        datasourceUid: DATASOURCE_UID,
        model: {
          refId: 'A',
          datasource: DATASOURCE,
          editorType: 'sql',
          queryType: 'table',
          format: QueryFormat.table,
          rawSql: spec.rawSql,
          intervalMs: 60_000,
          maxDataPoints: 43_200,
        },
      },
      {
        refId: 'B',
        queryType: '',
        relativeTimeRange: { from: 0, to: 0 },
        datasourceUid: '__expr__',
        model: {
          refId: 'B',
          datasource: { type: '__expr__', uid: '__expr__' },
          type: 'reduce',
          expression: 'A',
          reducer: 'last',
          settings: { mode: 'replaceNN', replaceWithValue: 0 },
        },
      },
      {
        refId: 'C',
        queryType: '',
        relativeTimeRange: { from: 0, to: 0 },
        datasourceUid: '__expr__',
        model: {
          refId: 'C',
          datasource: { type: '__expr__', uid: '__expr__' },
          type: 'threshold',
          expression: 'B',
          conditions: [{ evaluator: { type: spec.evaluator, params: [spec.threshold] } }],
        },
      },
    ],
    dashboardUid: link.uid,
    panelId: link.panelId,
    noDataState: 'OK',
    execErrState: 'Error',
    for: '0s',
    annotations: { summary: spec.summary, runbook_url: 'docs/signals.md' },
    labels: { source: 'agenttrace' },
    isPaused: false,
  };
}

/**
 * The alerting provisioning file with `thresholds` (default
 * {@link ALERT_THRESHOLDS}).
 *
 * @example
 * const file = buildAlertRules({ ...ALERT_THRESHOLDS, costPerHourUsd: 50 });
 */
export function buildAlertRules(thresholds: AlertThresholds = ALERT_THRESHOLDS): AlertingFile {
  const runs = 'FROM agent_runs WHERE $__timeFilter(started_at)';
  const rules: AlertRule[] = [
    rule(
      {
        uid: 'agenttrace-error-rate',
        title: 'agenttrace: run error rate',
        summary: `More than ${thresholds.errorRate * 100}% of runs failed in the last 15 minutes.`,
        rawSql: `SELECT if(count() = 0, 0, countIf(status = 'failure') / count()) AS value ${runs}`,
        windowSeconds: 900,
        threshold: thresholds.errorRate,
        evaluator: 'gt',
      },
      OVERVIEW_DASHBOARD,
    ),
    rule(
      {
        uid: 'agenttrace-cost-per-hour',
        title: 'agenttrace: cost per hour',
        summary: `Runs of the last hour cost more than $${thresholds.costPerHourUsd}.`,
        rawSql: `SELECT sum(cost_usd) AS value ${runs}`,
        windowSeconds: 3600,
        threshold: thresholds.costPerHourUsd,
        evaluator: 'gt',
      },
      OVERVIEW_DASHBOARD,
    ),
    rule(
      {
        uid: 'agenttrace-p95-latency',
        title: 'agenttrace: p95 run latency',
        summary: `p95 run latency over the last 15 minutes is above ${thresholds.p95LatencyMs} ms.`,
        rawSql: `SELECT if(count() = 0, 0, quantile(0.95)(duration_ms)) AS value ${runs}`,
        windowSeconds: 900,
        threshold: thresholds.p95LatencyMs,
        evaluator: 'gt',
      },
      OVERVIEW_DASHBOARD,
    ),
    ...ALERTED_SIGNALS.map((signal) =>
      rule(
        {
          uid: `agenttrace-signal-${signal.replaceAll('_', '-')}`,
          title: `agenttrace: signal ${signal}`,
          summary: `The ${signal} signal fired (docs/signals.md).`,
          rawSql: `SELECT count() AS value FROM ${SIGNALS_IN_RANGE} WHERE $__timeFilter(detected_at) AND signal = '${signal}'`,
          windowSeconds: 900,
          // "at least N": above N - 0.5 for a count.
          threshold: thresholds.signalsPerWindow - 0.5,
          evaluator: 'gt',
        },
        SIGNALS_DASHBOARD,
      ),
    ),
  ];
  return {
    apiVersion: 1,
    groups: [{ orgId: 1, name: 'agenttrace', folder: ALERT_FOLDER, interval: '1m', rules }],
  };
}

/** The text the file is stored as: two-space JSON and a final newline. */
export function renderAlertRules(file: AlertingFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
