/**
 * Reads the queries and variables back out of built dashboards, the way
 * Grafana will see them in the generated JSON.
 */
import type { Dashboard, Panel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ClickHouseQuery } from '../../src/datasource.js';
import type { VariableState } from './grafana-macros.js';

/** One panel query with where it comes from. */
export interface PanelQuery {
  dashboard: string;
  panel: Panel;
  query: ClickHouseQuery;
}

/** Every panel of a dashboard (rows flattened). */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) =>
    String(p.type) === 'row' ? ((p as { panels?: Panel[] }).panels ?? []) : [p as Panel],
  );
}

/** Every query of every panel of `dashboard`. */
export function queriesOf(dashboard: Dashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      dashboard: dashboard.uid ?? '?',
      panel,
      query: target as unknown as ClickHouseQuery,
    })),
  );
}

/** The SQL of a query variable (`{ rawSql }` or a plain string). */
export function variableSql(variable: VariableModel): string | undefined {
  if (String(variable.type) !== 'query') return undefined;
  const query = variable.query as unknown;
  if (typeof query === 'string') return query;
  if (typeof query === 'object' && query !== null && 'rawSql' in query) return String(query.rawSql);
  return undefined;
}

/** Variables as saved in the dashboard (their current selection), for the expander. */
export function variableStates(dashboard: Dashboard): VariableState[] {
  return (dashboard.templating?.list ?? []).map((v) => ({
    name: v.name,
    multi: v.multi ?? false,
    includeAll: v.includeAll ?? false,
    ...(v.allValue !== undefined ? { allValue: v.allValue } : {}),
    current: v.current?.value ?? '',
    options: (v.options ?? []).map((o) => (Array.isArray(o.value) ? o.value.join(',') : o.value)),
  }));
}

/** Names of the columns a panel's field overrides point at. */
export function overriddenColumns(panel: Panel): string[] {
  return (panel.fieldConfig?.overrides ?? [])
    .filter((o) => o.matcher.id === 'byName')
    .map((o) => String(o.matcher.options));
}
