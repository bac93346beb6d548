/**
 * The inputs of the query renderer: dashboard variables and the time range
 * and interval of one query.
 */

/** A dashboard variable as the expander needs it. */
export interface VariableState {
  name: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  /** Selected value(s); `'$__all'` (or `['$__all']`) is All. */
  current: string | string[];
  /** Every option value (what All stands for without `allValue`). */
  options?: string[];
}

/** Time range and interval of one query, as the backend receives them. */
export interface QueryContext {
  from: Date;
  to: Date;
  /** Grafana's computed interval for the panel, in milliseconds. */
  intervalMs: number;
}

/** What Grafana stores for a variable at All. */
export const ALL = '$__all';

/** The selection as one string (`Array.toString`), as the plugin compares it. */
export function currentText(variable: VariableState | undefined): string {
  if (variable === undefined) return 'undefined';
  return Array.isArray(variable.current) ? variable.current.join(',') : variable.current;
}
