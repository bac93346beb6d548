/**
 * `@agenttrace/dashboards`: the agenttrace Grafana dashboards as code. Each
 * builder returns a foundation-SDK `DashboardBuilder`; `build.ts` writes
 * their JSON to `generated/`, which Grafana provisions.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { abComparisonDashboard } from './dashboards/ab-comparison.js';
import { failureAnalysisDashboard } from './dashboards/failure-analysis.js';
import { overviewDashboard } from './dashboards/overview.js';
import { providerComparisonDashboard } from './dashboards/provider-comparison.js';
import { runExplorerDashboard } from './dashboards/run-explorer.js';
import { sessionsDashboard } from './dashboards/sessions.js';
import { signalsDashboard } from './dashboards/signals.js';

export { abComparisonDashboard } from './dashboards/ab-comparison.js';
export { failureAnalysisDashboard } from './dashboards/failure-analysis.js';
export { overviewDashboard } from './dashboards/overview.js';
export { providerComparisonDashboard } from './dashboards/provider-comparison.js';
export { runExplorerDashboard } from './dashboards/run-explorer.js';
export { sessionsDashboard } from './dashboards/sessions.js';
export { signalsDashboard } from './dashboards/signals.js';
export {
  CLICKHOUSE_PLUGIN_ID,
  ClickHouseQueryBuilder,
  DATASOURCE,
  DATASOURCE_UID,
  QueryFormat,
  sql,
  type ClickHouseQuery,
} from './datasource.js';
export {
  exploreTraceUrl,
  traceIdQuery,
  traceIdQuerySql,
  type TraceTableRef,
} from './trace-link.js';

/** A generated dashboard: the file it is written to and its JSON model. */
export interface GeneratedDashboard {
  /** File name under `generated/`, e.g. `overview.json`. */
  readonly file: string;
  readonly dashboard: Dashboard;
}

/**
 * Numbers the panels 1, 2, … in order: Grafana needs stable panel ids for
 * links to a panel (`viewPanel`) and for the panel's saved state.
 */
function withPanelIds(dashboard: Dashboard): Dashboard {
  (dashboard.panels ?? []).forEach((panel, i) => {
    panel.id = i + 1;
  });
  return dashboard;
}

/** Every agenttrace dashboard, built, with its file name. */
export function buildDashboards(): GeneratedDashboard[] {
  return [
    { file: 'overview.json', dashboard: overviewDashboard().build() },
    { file: 'run-explorer.json', dashboard: runExplorerDashboard().build() },
    { file: 'failure-analysis.json', dashboard: failureAnalysisDashboard().build() },
    { file: 'ab-comparison.json', dashboard: abComparisonDashboard().build() },
    { file: 'provider-comparison.json', dashboard: providerComparisonDashboard().build() },
    { file: 'signals.json', dashboard: signalsDashboard().build() },
    { file: 'sessions.json', dashboard: sessionsDashboard().build() },
  ].map(({ file, dashboard }) => ({ file, dashboard: withPanelIds(dashboard) }));
}

/** The text a dashboard is stored as: two-space JSON and a final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
