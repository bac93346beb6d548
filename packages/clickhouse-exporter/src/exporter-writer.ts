/**
 * The exporter's single writer: takes sealed batches from the queue in
 * order, inserts each under its deduplication token, retries transient
 * failures with backoff, and settles the batch (stored, failed, or left in
 * the spool). One insert at a time keeps batches in order and the store's
 * part count low.
 */
import { diag } from '@opentelemetry/api';
import type { ClickHouseClient } from '@clickhouse/client';
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
}

/** Writes queued batches to the store, one at a time. */
export class BatchWriter {
  private readonly statement: InsertStatement;
  private readonly waiters = new Map<Batch, (() => void)[]>();
  private running: Promise<void> | undefined;
  private checkedTable = false;

  constructor(private readonly config: BatchWriterConfig) {
    this.statement = insertStatement(config.database, config.table);
  }

  /** Starts writing unless the writer runs already. */
  kick(): void {
    if (this.running !== undefined) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.config.queue.next() !== undefined) this.kick();
    });
  }

  /** Resolves once `batch` is settled (stored, failed or deferred). */
  settled(batch: Batch): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiters.get(batch) ?? [];
      list.push(resolve);
      this.waiters.set(batch, list);
    });
  }

  private async run(): Promise<void> {
    const { queue, counters } = this.config;
    for (let batch = queue.next(); batch !== undefined; batch = queue.next()) {
      try {
        await this.deliver(batch);
      } catch (error) {
        // deliver() settles store errors itself: this is a spool file that could not be read.
        counters.failedSpans += batch.spans;
        diag.error(`${LOG} batch ${batch.token} could not be read from the spool`, error);
      }
      queue.remove(batch);
      for (const resolve of this.waiters.get(batch) ?? []) resolve();
      this.waiters.delete(batch);
    }
  }

  private async deliver(batch: Batch): Promise<void> {
    const { counters } = this.config;
    const body = await this.bodyOf(batch);
    if (body === '') return this.discard(batch);
    await this.checkTableOnce();
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const result = await writeBatch(this.config.client, this.statement, body, batch.token);
      if (result.kind === 'success') {
        counters.storedSpans += batch.spans;
        return this.discard(batch);
      }
      if (result.kind === 'failure') {
        counters.failedSpans += batch.spans;
        diag.error(`${LOG} dropped ${batch.spans} span(s): ${result.error.message}`);
        return this.discard(batch);
      }
      const delay = backoffDelay(attempt, result.retryAfterMs);
      const elapsed = Date.now() - started;
      if (attempt >= this.config.maxAttempts || elapsed + delay > this.config.maxRetryElapsedMs) {
        return this.giveUp(batch, attempt, result.error.message);
      }
      counters.retries += 1;
      diag.debug(
        `${LOG} attempt ${attempt} failed (${result.error.message}); retry in ${delay} ms`,
      );
      await sleep(delay);
    }
  }

  private giveUp(batch: Batch, attempts: number, reason: string): void {
    const { spool, counters } = this.config;
    if (spool === undefined) counters.failedSpans += batch.spans;
    else counters.deferredSpans += batch.spans;
    const where = spool === undefined ? 'dropped' : 'left in the spool for the next start';
    diag.error(`${LOG} ${batch.spans} span(s) ${where} after ${attempts} attempt(s): ${reason}`);
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

  private async bodyOf(batch: Batch): Promise<string> {
    const { spool, counters } = this.config;
    if (batch.replayFile === undefined) {
      // The spool file must be complete before the insert can succeed, so a
      // replay after a crash sends exactly what was stored, under the same token.
      await spool?.seal(batch.token);
      return batch.lines.join('\n');
    }
    const lines = (await spool?.read(batch.replayFile)) ?? [];
    batch.spans = lines.length;
    counters.replayedSpans += lines.length;
    return lines.join('\n');
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
