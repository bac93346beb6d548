/**
 * `@agenttrace/clickhouse-exporter`: an OpenTelemetry span exporter into the
 * OTel Collector contrib `otel_traces` table, on a ClickHouse server or the
 * embedded chDB engine.
 */
export { ClickHouseSpanExporter } from './exporter.js';
export {
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_QUEUE_SIZE,
  DEFAULT_MAX_SPOOL_BYTES,
  DEFAULT_TRACES_TABLE,
  type ClickHouseSpanExporterOptions,
} from './exporter-options.js';
export type { ExporterStats } from './exporter-stats.js';
export {
  ClickHouseExporterError,
  EmbeddedStoreConflictError,
  EmbeddedStoreLockedError,
  ExporterShutDownError,
  InvalidOptionsError,
  NotStoredError,
  QueueOverflowError,
  SpoolFullError,
  SpoolWriteError,
  StoreWriteError,
  type ClickHouseExporterErrorCode,
  type StoreWriteErrorDetails,
} from './errors.js';
export { createStore, type Store, type StoreKind } from './store.js';
export { EMBEDDED_ENGINE_MISSING, EmbeddedEngineMissingError } from './store-embedded.js';
export {
  DEFAULT_DATABASE,
  DEFAULT_EMBEDDED_PATH,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type StoreOptions,
} from './store-options.js';
export { STORE_ENV, storeOptionsFromEnv } from './store-env.js';
export {
  normalizeHttpError,
  normalizeStoreError,
  RETRYABLE_CLICKHOUSE_CODES,
  RETRYABLE_HTTP_STATUSES,
  type HttpErrorAnswer,
} from './store-errors.js';
export { spanToRow, TRACE_COLUMNS, type TraceRow } from './row.js';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate.js';
