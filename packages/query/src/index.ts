/**
 * `@agenttrace/query`: the read side of the store, shared by the CLI and the
 * collector's HTTP API. Every function takes a `@clickhouse/client` client
 * (embedded chDB or a server) and reads the views the migrations create.
 */
export { listRuns, getRuns, getRunSteps, listFailures, listFeedback } from './run-queries.js';
export type { RunRow, StepRow, FailureRow, FeedbackRow } from './run-queries.js';
export { getStats } from './stats-query.js';
export type { StatsRow } from './stats-query.js';
export { listSessions, getSession, sessionFiltersSchema } from './sessions-query.js';
export type { SessionRow, SessionDetail, SessionFiltersInput } from './sessions-query.js';
export {
  listSignals,
  signalFiltersFromQuery,
  signalFiltersSchema,
  signalQueryParams,
  SIGNALS,
} from './signals-query.js';
export type { SignalRow, SignalName, SignalFiltersInput } from './signals-query.js';
export {
  DEFAULT_SIGNAL_THRESHOLDS,
  SIGNAL_THRESHOLDS,
  THRESHOLD_NAMES,
} from './signal-thresholds.js';
export type { SignalThresholdName, SignalThresholds } from './signal-thresholds.js';
export {
  listRegressions,
  regressionFiltersSchema,
  regressionQuerySql,
  REGRESSION_DIMENSIONS,
  DEFAULT_REGRESSION_ALPHA,
  DEFAULT_REGRESSION_MIN_RUNS,
  DEFAULT_REGRESSION_WINDOW_MS,
} from './regressions-query.js';
export type {
  RegressionRow,
  RegressionDimension,
  RegressionFiltersInput,
} from './regressions-query.js';
export { regressionSql, REGRESSION_COLUMNS, REGRESSION_METRICS } from './regressions-sql.js';
export type { RegressionSqlParts } from './regressions-sql.js';
export {
  runReadOnlySql,
  readonlySql,
  resolveSqlSandboxOptions,
  SQL_SANDBOX_DEFAULTS,
} from './sql-sandbox.js';
export type { SqlSandboxOptions, SqlResult } from './sql-sandbox.js';
export { ALLOWED_TABLE_FUNCTIONS } from './sql-check.js';
export {
  SqlSandboxError,
  SqlRefusedError,
  SqlInvalidError,
  SqlLimitError,
  isEngineError,
} from './sql-sandbox-errors.js';
export type { SqlRefusal } from './sql-sandbox-errors.js';
export {
  InvalidQueryError,
  parseSince,
  SINCE_EXPECTED,
  runFiltersSchema,
  statsFiltersSchema,
  STATS_DIMENSIONS,
} from './filters.js';
export type { RunFiltersInput, StatsFiltersInput, StatsDimension } from './filters.js';
