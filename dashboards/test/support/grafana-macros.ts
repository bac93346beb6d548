/**
 * What Grafana and the ClickHouse plugin do to a panel's SQL before
 * ClickHouse sees it, in their order:
 *
 * 1. `$__conditionalAll(cond, $var)` → `1=1` when `$var` is All or empty,
 *    else `cond` (frontend, `CHDatasource.applyConditionalAll`).
 * 2. Dashboard variables (`$var`, `${var}`, `[[var]]`, `${var:format}`),
 *    multi-value and All, formatted by the plugin's `format`: an array
 *    becomes `'a','b'`, a single value is put in raw (`templateSrv.replace`).
 * 3. The backend macros of `pkg/macros/macros.go` (`$__timeFilter(c)` →
 *    `c >= toDateTime(from) AND c <= toDateTime(to)`, …), innermost first
 *    when nested, comments stripped, unknown macros left as they are.
 *
 * Ported from grafana/clickhouse-datasource (`src/data/CHDatasource.ts`,
 * `pkg/macros/macros.go` and their tests); see macros.test.ts.
 */
import { interpolateMacros } from './backend-macros.js';
import { applyConditionalAll, replaceVariables } from './frontend-macros.js';
import type { QueryContext, VariableState } from './variable-state.js';

export { interpolateMacros } from './backend-macros.js';
export { applyConditionalAll, replaceVariables } from './frontend-macros.js';
export type { QueryContext, VariableState } from './variable-state.js';

/** All three steps: the SQL ClickHouse receives for a panel query. */
export function renderQuery(
  rawSql: string,
  variables: readonly VariableState[],
  ctx: QueryContext,
): string {
  return interpolateMacros(
    replaceVariables(applyConditionalAll(rawSql, variables), variables),
    ctx,
  );
}
