/**
 * Error-level reports of spans that were not stored, at most one per
 * interval however many batches fail: counts by outcome and the cause as a
 * code, never a row or a store message (a parse error quotes the row).
 */
import { diag } from '@opentelemetry/api';
import type { StoreWriteError } from './errors.js';

/** Shortest time between two reports. */
export const FAILURE_LOG_INTERVAL_MS = 10_000;

/** Outcomes of spans that were not stored. */
export type FailureOutcome = 'failed' | 'deadLettered' | 'deferred';

/** The cause of a store error as codes only: safe to log. */
export function describeCause(error: StoreWriteError): string {
  const parts: string[] = [];
  if (error.clickhouseCode !== undefined) parts.push(`ClickHouse error ${error.clickhouseCode}`);
  if (error.clickhouseType !== undefined) parts.push(`(${error.clickhouseType})`);
  if (error.httpStatus !== undefined) parts.push(`HTTP ${error.httpStatus}`);
  if (parts.length === 0) parts.push(error.retryable ? 'transient store error' : 'store error');
  return parts.join(' ');
}

/** Collects failures and logs them with `diag.error`, rate-limited. */
export class FailureLog {
  private readonly pending: Record<FailureOutcome, number> = {
    failed: 0,
    deadLettered: 0,
    deferred: 0,
  };
  private lastCause = '';
  private lastReport = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prefix: string,
    private readonly intervalMs = FAILURE_LOG_INTERVAL_MS,
  ) {}

  /** Counts `spans` spans with `outcome`; `cause` must hold no content. */
  record(outcome: FailureOutcome, spans: number, cause: string): void {
    if (spans <= 0) return;
    this.pending[outcome] += spans;
    this.lastCause = cause;
    const wait = this.lastReport + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    // A report for what arrives within the interval, even if nothing follows it.
    this.timer ??= setTimeout(() => this.report(), wait);
    this.timer.unref();
  }

  private report(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { failed, deadLettered, deferred } = this.pending;
    if (failed + deadLettered + deferred === 0) return;
    this.lastReport = Date.now();
    this.pending.failed = 0;
    this.pending.deadLettered = 0;
    this.pending.deferred = 0;
    diag.error(
      `${this.prefix} spans not stored: ${failed} failed, ${deadLettered} dead-lettered, ` +
        `${deferred} deferred to the spool (last cause: ${this.lastCause})`,
    );
  }
}
