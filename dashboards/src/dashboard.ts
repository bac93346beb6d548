/**
 * What every agenttrace dashboard shares: tags, time range, refresh, the
 * standard variables and links between the dashboards.
 */
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { standardVariables } from './variables.js';

/** Tag on every agenttrace dashboard; the cross-links list dashboards by it. */
export const DASHBOARD_TAG = 'agenttrace';

/** A dashboard with the agenttrace defaults and the agent/version/environment variables. */
export function agentDashboard(uid: string, title: string, description: string) {
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([DASHBOARD_TAG])
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .refresh('1m')
    .editable()
    .link(
      new DashboardLinkBuilder('agenttrace')
        .type(DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
  for (const variable of standardVariables()) builder.withVariable(variable);
  return builder;
}
