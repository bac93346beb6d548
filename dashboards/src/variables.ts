/**
 * Dashboard variables (agent, version, environment, …) and the SQL
 * conditions that apply them. Every condition goes through the plugin's
 * `$__conditionalAll`, which drops it when the variable is at All (or empty),
 * so the default view never pays for an `IN` over every value.
 */
import {
  CustomVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './datasource.js';

/** Hourly rollup rows overlapping the dashboard range (its buckets start on the hour). */
export const HOURLY_RANGE = 'bucket >= toStartOfHour($__fromTime) AND bucket <= $__toTime';

const ALL = { text: 'All', value: '$__all', selected: true };

function queryVariable(name: string, label: string, column: string, where: string[]) {
  const rawSql = [
    `SELECT DISTINCT ${column} FROM agent_stats_hourly`,
    `WHERE ${[HOURLY_RANGE, `${column} != ''`, ...where].join(' AND ')}`,
    `ORDER BY ${column}`,
  ].join('\n');
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ editorType: 'sql', rawSql })
    .definition(rawSql)
    .multi(true)
    .includeAll(true)
    .current({ text: [ALL.text], value: [ALL.value], selected: true })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** `$__conditionalAll(column IN ($var), $var)`: the plugin's optional filter. */
export function when(column: string, variable: string): string {
  return `$__conditionalAll(${column} IN ($${variable}), $${variable})`;
}

/** Agent names seen in the range. */
export const agentVariable = () => queryVariable('agent', 'Agent', 'agent', []);
/** Agent versions of the selected agents. */
export const versionVariable = () =>
  queryVariable('version', 'Version', 'agent_version', [when('agent', 'agent')]);
/** Deployment environments (`deployment.environment.name`). */
export const environmentVariable = () =>
  queryVariable('environment', 'Environment', 'environment', []);

/** Run outcome filter of the run explorer. */
export const statusVariable = () =>
  new CustomVariableBuilder('status')
    .label('Status')
    .values('success,failure,partial')
    .options(['success', 'failure', 'partial'].map((v) => ({ text: v, value: v, selected: false })))
    .multi(true)
    .includeAll(true)
    .current({ text: [ALL.text], value: [ALL.value], selected: true });

/** What the A/B dashboard splits runs by: the variant label or the agent version. */
export const compareByVariable = () =>
  new CustomVariableBuilder('compare_by')
    .label('Compare by')
    .values('variant : variant,version : agent_version')
    .options([
      { text: 'variant', value: 'variant', selected: true },
      { text: 'version', value: 'agent_version', selected: false },
    ])
    .current({ text: 'variant', value: 'variant', selected: true });

/** The standard variables, in display order. */
export const standardVariables = () => [agentVariable(), versionVariable(), environmentVariable()];

/**
 * Conditions for a view with `agent`, `agent_version` and `environment`
 * columns (agent_runs, agent_failures, agent_feedback, agent_stats*).
 */
export const RUN_FILTERS = [
  when('agent', 'agent'),
  when('agent_version', 'version'),
  when('environment', 'environment'),
].join(' AND ');

/**
 * Conditions for `agent_steps`, which has no agent or version column: the
 * step's run must be a run of the selected agents and versions. Each part
 * is dropped at All, so the default view reads no run subquery at all.
 */
export const STEP_FILTERS = [
  when('environment', 'environment'),
  `$__conditionalAll(run_id IN (SELECT run_id FROM agent_runs WHERE agent IN ($agent)), $agent)`,
  `$__conditionalAll(run_id IN (SELECT run_id FROM agent_runs WHERE agent_version IN ($version)), $version)`,
].join(' AND ');
