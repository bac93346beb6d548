/**
 * `@agenttrace/query`: the read side of the store, shared by the CLI and the
 * collector's HTTP API. Every function takes a `@clickhouse/client` client
 * (embedded chDB or a server) and reads the views the migrations create.
 */
export { listRuns, getRuns, getRunSteps, listFailures, listFeedback } from './run-queries.js';
export type { RunRow, StepRow, FailureRow, FeedbackRow } from './run-queries.js';
export { getStats } from './stats-query.js';
export type { StatsRow } from './stats-query.js';
export { readonlySql, READONLY_MAX_ROWS } from './readonly-sql.js';
export {
  InvalidQueryError,
  parseSince,
  runFiltersSchema,
  statsFiltersSchema,
  STATS_DIMENSIONS,
} from './filters.js';
export type { RunFiltersInput, StatsFiltersInput, StatsDimension } from './filters.js';
