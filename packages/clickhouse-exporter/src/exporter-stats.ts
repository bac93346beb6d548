/**
 * Counters of {@link ClickHouseSpanExporter}, read through its `stats`
 * getter. Every accepted span ends in one outcome: stored, failed,
 * dead-lettered or deferred (to the spool); refused ones count as dropped.
 */

/** A snapshot of what the exporter did with the spans it was given. */
export interface ExporterStats {
  /** Spans taken into the queue. */
  readonly acceptedSpans: number;
  /** Spans written to the store (replayed ones included). */
  readonly storedSpans: number;
  /** Spans dropped because the queue was full. */
  readonly droppedSpans: number;
  /**
   * Spans given up on and kept nowhere: the store refused the whole insert
   * (unknown table, no permission), retries ran out without a spool, or a row
   * the store refused found no room in the dead letter.
   */
  readonly failedSpans: number;
  /**
   * Rows the store refused one by one (isolated by bisecting their batch),
   * written to the dead-letter file instead.
   */
  readonly deadLetteredSpans: number;
  /** Spans whose retries ran out but which wait in the spool for the next start. */
  readonly deferredSpans: number;
  /** Spans read back from the spool on start. */
  readonly replayedSpans: number;
  /** Inserts spent isolating refused rows: every half tried. */
  readonly bisectInserts: number;
  /** Write attempts that were retries. */
  readonly retries: number;
  /** Spool writes that failed (the spans stayed queued in memory). */
  readonly spoolErrors: number;
  /** Spans in memory waiting for the store right now. */
  readonly queuedSpans: number;
}

/** Mutable counters behind {@link ExporterStats}. */
export type ExporterCounters = {
  -readonly [K in Exclude<keyof ExporterStats, 'queuedSpans'>]: number;
};

/** All counters at zero. */
export function newCounters(): ExporterCounters {
  return {
    acceptedSpans: 0,
    storedSpans: 0,
    droppedSpans: 0,
    failedSpans: 0,
    deadLetteredSpans: 0,
    deferredSpans: 0,
    replayedSpans: 0,
    bisectInserts: 0,
    retries: 0,
    spoolErrors: 0,
  };
}
