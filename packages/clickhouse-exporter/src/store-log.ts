/**
 * Routes `@clickhouse/client`'s own log lines to OTel's `diag` logger instead
 * of its default console logger: library code never writes to the console.
 * Request errors go to `debug`, because the exporter classifies and reports
 * every failed write itself (retried, stored, or given up).
 */
import { diag } from '@opentelemetry/api';
import type { ErrorLogParams, Logger, LogParams, WarnLogParams } from '@clickhouse/client';

function line(params: LogParams): string {
  return `@clickhouse/client ${params.module}: ${params.message}`;
}

/** A clickhouse-js `Logger` writing to `diag`. */
export class DiagClickHouseLogger implements Logger {
  /** Writes to `diag.verbose`. */
  trace(params: LogParams): void {
    diag.verbose(line(params), params.args);
  }
  /** Writes to `diag.debug`. */
  debug(params: LogParams): void {
    diag.debug(line(params), params.args);
  }
  /** Writes to `diag.info`. */
  info(params: LogParams): void {
    diag.info(line(params), params.args);
  }
  /** Writes to `diag.warn`. */
  warn(params: WarnLogParams): void {
    diag.warn(line(params), params.err ?? params.args);
  }
  /** Writes to `diag.debug`: the exporter reports the outcome of failed writes. */
  error(params: ErrorLogParams): void {
    diag.debug(line(params), params.err);
  }
}
