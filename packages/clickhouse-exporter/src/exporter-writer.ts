/**
 * The exporter's single writer: takes sealed batches from the queue in
 * order, inserts each under its deduplication token, retries transient
 * failures with backoff, and settles the batch (stored, failed, or left in
 * the spool). One insert at a time keeps batches in order and the store's
 * part count low.
 *
 * A batch the store refuses for a reason in its rows (a row it cannot read,
 * a constraint) costs only those rows: the batch is bisected (see
 * `exporter-bisect.ts`), the other rows are stored, the refused ones go to
 * the dead letter. Only errors raised by a row's content are bisected; any
 * other (no table, no permission) would refuse every half, and the batch
 * fails whole, as before.
 */
import { diag } from '@opentelemetry/api';
import type { ClickHouseClient } from '@clickhouse/client';
import { DeadLetter, type DeadRow } from './dead-letter.js';
import type { StoreWriteError } from './errors.js';
import { bisect, isRowError, type InsertOutcome } from './exporter-bisect.js';
import { describeCause, FailureLog } from './exporter-failure-log.js';
import { backoffDelay, sleep } from './exporter-retry.js';
import type { ExporterCounters } from './exporter-stats.js';
import type { Batch, BatchQueue } from './queue.js';
import type { Spool } from './spool.js';
import { checkDeduplication } from './store-check.js';
import { insertStatement, writeBatch, type InsertStatement } from './store-write.js';

const LOG = 'ClickHouseSpanExporter:';

/** What the writer needs from the exporter. */
export interface BatchWriterConfig {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly table: string;
  readonly queue: BatchQueue;
  readonly spool: Spool | undefined;
  readonly counters: ExporterCounters;
  readonly maxAttempts: number;
  readonly maxRetryElapsedMs: number;
  /** Wait of a deferred batch before it is queued again. */
  readonly deferredRetryMs: number;
  /** Directory of the dead-letter file; without one, refused rows count as failed. */
  readonly deadLetterDir?: string | undefined;
  /** Most bytes of the dead-letter file. @default 16 MiB */
  readonly maxDeadLetterBytes?: number | undefined;
  /**
   * Called when the queue has no sealed batch left; returns true if it
   * sealed one (callers waiting on the open batch), so the writer goes on.
   */
  readonly beforeIdle?: () => boolean;
}

/** How a batch settled: every row stored, or not (failed, dead-lettered or deferred). */
export interface BatchOutcome {
  /** Every row of the batch is in the store. */
  readonly stored: boolean;
}

/** Writes queued batches to the store, one at a time. */
export class BatchWriter {
  private readonly statement: InsertStatement;
  private readonly waiters = new Map<Batch, ((outcome: BatchOutcome) => void)[]>();
  /** Rows of the batch being delivered that did not reach the store. */
  private unstored = 0;
  private running: Promise<void> | undefined;
  private readonly deferred = new Set<NodeJS.Timeout>();
  private stopped = false;
  private checkedTable = false;
  private readonly deadLetter: DeadLetter | undefined;
  private readonly failures = new FailureLog(LOG);

  constructor(private readonly config: BatchWriterConfig) {
    this.statement = insertStatement(config.database, config.table);
    this.deadLetter =
      config.deadLetterDir === undefined
        ? undefined
        : new DeadLetter(config.deadLetterDir, config.maxDeadLetterBytes);
  }

  /** Where refused rows are kept, if anywhere. */
  get deadLetterFile(): string | undefined {
    return this.deadLetter?.file;
  }

  /** Starts writing unless the writer runs already. */
  kick(): void {
    if (this.running !== undefined) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.config.queue.next() !== undefined) this.kick();
    });
  }

  /** True while a batch is being written. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once `batch` is settled (stored, failed or deferred), with how. */
  settled(batch: Batch): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      const list = this.waiters.get(batch) ?? [];
      list.push(resolve);
      this.waiters.set(batch, list);
    });
  }

  private async run(): Promise<void> {
    const { queue, counters } = this.config;
    do {
      for (let batch = queue.next(); batch !== undefined; batch = queue.next()) {
        this.unstored = 0;
        try {
          await this.deliver(batch);
        } catch (error) {
          // deliver() settles store errors itself: this is a spool file that could not be read.
          counters.failedSpans += batch.spans;
          this.unstored += Math.max(batch.spans, 1);
          this.failures.record('failed', batch.spans, 'spool file unreadable');
          diag.debug(`${LOG} batch ${batch.token} could not be read from the spool`, error);
        }
        queue.remove(batch);
        const outcome: BatchOutcome = { stored: this.unstored === 0 };
        for (const resolve of this.waiters.get(batch) ?? []) resolve(outcome);
        this.waiters.delete(batch);
      }
    } while (this.config.beforeIdle?.() === true);
  }

  private async deliver(batch: Batch): Promise<void> {
    const lines = await this.linesOf(batch);
    if (lines.length === 0) return this.discard(batch);
    await this.checkTableOnce();
    const result = await this.insert(lines, batch.token);
    if (result.kind === 'stored') {
      this.config.counters.storedSpans += lines.length;
      return this.discard(batch);
    }
    if (result.kind === 'gave-up') {
      this.giveUp(lines.length, result);
      return this.deferAgain(batch);
    }
    return this.refused(batch, lines, result.error);
  }

  /** The whole insert was refused: bisect if a row is the reason, else fail the batch. */
  private async refused(
    batch: Batch,
    lines: readonly string[],
    error: StoreWriteError,
  ): Promise<void> {
    const { counters } = this.config;
    if (!isRowError(error)) {
      // No row could be stored by this statement: nothing to isolate.
      counters.failedSpans += lines.length;
      this.unstored += lines.length;
      this.failures.record('failed', lines.length, describeCause(error));
      return this.discard(batch);
    }
    const result = await bisect(lines, batch.token, error, (part, token) =>
      this.insert(part, token),
    );
    counters.bisectInserts += result.inserts;
    counters.storedSpans += result.stored;
    this.unstored += result.refused.length;
    await this.bury(result.refused);
    if (result.gaveUp !== undefined) {
      this.giveUp(result.unsettled, { kind: 'gave-up', ...result.gaveUp });
      // The parts already stored are deduplicated by their derived tokens when it comes back.
      return this.deferAgain(batch);
    }
    return this.discard(batch);
  }

  /** Refused rows go to the dead letter; without one, or without room, they are failed. */
  private async bury(rows: readonly DeadRow[]): Promise<void> {
    const { counters } = this.config;
    const [first] = rows;
    if (first === undefined) return;
    const cause = describeCause(first.error);
    let kept = 0;
    if (this.deadLetter !== undefined) {
      try {
        kept = (await this.deadLetter.add(rows)).kept;
      } catch (error) {
        counters.spoolErrors += 1;
        diag.error(`${LOG} could not write the dead-letter file ${this.deadLetter.file}`, error);
      }
    }
    counters.deadLetteredSpans += kept;
    counters.failedSpans += rows.length - kept;
    this.failures.record('deadLettered', kept, cause);
    this.failures.record('failed', rows.length - kept, `${cause}, no room in a dead letter`);
  }

  /** One insert of `lines` under `token`, with retries of transient failures. */
  private async insert(lines: readonly string[], token: string): Promise<InsertOutcome> {
    const body = lines.join('\n');
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const result = await writeBatch(this.config.client, this.statement, body, token);
      if (result.kind === 'success') return { kind: 'stored' };
      if (result.kind === 'failure') return { kind: 'refused', error: result.error };
      const delay = backoffDelay(attempt, result.retryAfterMs);
      const elapsed = Date.now() - started;
      if (attempt >= this.config.maxAttempts || elapsed + delay > this.config.maxRetryElapsedMs) {
        return { kind: 'gave-up', error: result.error, attempts: attempt };
      }
      this.config.counters.retries += 1;
      diag.debug(
        `${LOG} attempt ${attempt} failed (${describeCause(result.error)}); retry in ${delay} ms`,
      );
      await sleep(delay);
    }
  }

  /** Retries ran out: the spans wait in the spool for the next start, or are failed. */
  private giveUp(spans: number, result: Extract<InsertOutcome, { kind: 'gave-up' }>): void {
    const { spool, counters } = this.config;
    this.unstored += spans;
    const cause = `${describeCause(result.error)} after ${result.attempts} attempt(s)`;
    if (spool === undefined) {
      counters.failedSpans += spans;
      this.failures.record('failed', spans, cause);
    } else {
      counters.deferredSpans += spans;
      this.failures.record('deferred', spans, cause);
    }
  }

  /**
   * A batch whose retries ran out stays in the spool and is queued again
   * after `deferredRetryMs`, read back from its file under its own
   * token, so an outage longer than the retry budget delays spans, never
   * strands them until a restart. The spool's byte bound holds them.
   */
  private deferAgain(batch: Batch): void {
    const { spool, queue } = this.config;
    if (spool === undefined || this.stopped) return;
    const timer = setTimeout(() => {
      this.deferred.delete(timer);
      if (this.stopped) return;
      queue.addReplayed(batch.token, spool.pathOf(batch.token));
      this.kick();
    }, this.config.deferredRetryMs);
    timer.unref();
    this.deferred.add(timer);
  }

  /** Stops queuing deferred batches again (they stay in the spool for the next start). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.deferred) clearTimeout(timer);
    this.deferred.clear();
  }

  /** Deletes a settled batch's spool file; a failure here must not unsettle the batch. */
  private async discard(batch: Batch): Promise<void> {
    try {
      await this.config.spool?.remove(batch.token);
    } catch (error) {
      this.config.counters.spoolErrors += 1;
      diag.warn(`${LOG} could not delete spool file of batch ${batch.token}`, error);
    }
  }

  private async linesOf(batch: Batch): Promise<readonly string[]> {
    const { spool, counters } = this.config;
    if (batch.replayFile === undefined) {
      // The spool file must be complete before the insert can succeed, so a
      // replay after a crash sends exactly what was stored, under the same token.
      await spool?.seal(batch.token);
      return batch.lines;
    }
    const lines = (await spool?.read(batch.replayFile)) ?? [];
    batch.spans = lines.length;
    counters.replayedSpans += lines.length;
    return lines;
  }

  /** Warns once if retried inserts could be stored twice (see `store-check.ts`). */
  private async checkTableOnce(): Promise<void> {
    if (this.checkedTable) return;
    this.checkedTable = true;
    const { client, database, table } = this.config;
    try {
      const check = await checkDeduplication(client, database, table);
      if (check.kind === 'missing-table') {
        diag.warn(`${LOG} table ${database}.${table} does not exist; run migrate() first`);
      } else if (check.kind === 'no-deduplication') {
        diag.warn(
          `${LOG} ${database}.${table} (${check.engine}) has no non_replicated_deduplication_window; ` +
            'a retried insert may be stored twice',
        );
      }
    } catch (error) {
      diag.debug(`${LOG} could not check the traces table`, error);
    }
  }
}
