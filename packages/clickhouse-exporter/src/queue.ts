/**
 * The exporter's bounded in-memory queue: accepted rows grouped into batches
 * in arrival order. The last batch is open (still filling); the others are
 * sealed and wait for the store. Each batch gets its insert deduplication
 * token when it is opened, so the token is stable across every retry and a
 * replay from the spool. No timers and no I/O here: the exporter drives it.
 */
import { randomUUID } from 'node:crypto';

/** Rows waiting for the store under one deduplication token. */
export interface Batch {
  /** `insert_deduplication_token`, also the spool file's name. */
  readonly token: string;
  /** `JSONEachRow` lines, no trailing newlines; empty for a replayed batch until read. */
  readonly lines: string[];
  /** Rows in the batch (for a replayed batch, known once its file is read). */
  spans: number;
  /** No more rows will be added. */
  sealed: boolean;
  /** Loaded from the spool on start: the body is read from this file. */
  readonly replayFile: string | undefined;
}

let sequence = 0;

/**
 * A new deduplication token. It sorts by creation time, so spool files
 * replay in the order they were accepted.
 */
export function newBatchToken(now = Date.now()): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${String(now).padStart(14, '0')}-${String(sequence).padStart(6, '0')}-${randomUUID()}`;
}

/** What happened to the rows of one {@link BatchQueue.offer} call. */
export interface OfferResult {
  /** How many rows were queued. */
  readonly accepted: number;
  /** How many rows did not fit and were dropped. */
  readonly dropped: number;
  /** The rows queued, by the batch they went into (for the spool). */
  readonly parts: readonly { readonly batch: Batch; readonly lines: readonly string[] }[];
  /** Batches sealed because they reached the maximum size. */
  readonly sealed: readonly Batch[];
}

/** Bounded FIFO of batches. */
export class BatchQueue {
  private readonly batches: Batch[] = [];
  private open: Batch | undefined;
  private queuedSpans = 0;

  /**
   * @param maxQueueSize most rows held in memory at once, in-flight batch included
   * @param maxBatchSize most rows in one batch
   */
  constructor(
    private readonly maxQueueSize: number,
    private readonly maxBatchSize: number,
  ) {}

  /** Rows held in memory (not yet stored or given up). */
  get size(): number {
    return this.queuedSpans;
  }

  /** The batch still filling, if any. */
  get openBatch(): Batch | undefined {
    return this.open;
  }

  /**
   * Queues all of `lines` or, when they do not all fit, none of them (and
   * reports them dropped). All or nothing: a caller told FAILED may retry the
   * whole call without the spans kept from it being stored twice.
   */
  offer(lines: readonly string[]): OfferResult {
    const room = Math.max(0, this.maxQueueSize - this.queuedSpans);
    const accepted = lines.length <= room ? lines.length : 0;
    const parts: { batch: Batch; lines: readonly string[] }[] = [];
    const sealed: Batch[] = [];
    let offset = 0;
    while (offset < accepted) {
      const batch = this.open ?? this.openNew();
      const take = Math.min(this.maxBatchSize - batch.spans, accepted - offset);
      const slice = lines.slice(offset, offset + take);
      for (const line of slice) batch.lines.push(line);
      batch.spans += take;
      offset += take;
      parts.push({ batch, lines: slice });
      if (batch.spans >= this.maxBatchSize) {
        const full = this.sealOpen();
        if (full !== undefined) sealed.push(full);
      }
    }
    this.queuedSpans += accepted;
    return { accepted, dropped: lines.length - accepted, parts, sealed };
  }

  /** Seals the open batch, if it has rows; returns it. */
  sealOpen(): Batch | undefined {
    const batch = this.open;
    if (batch === undefined) return undefined;
    batch.sealed = true;
    this.open = undefined;
    return batch;
  }

  /** Adds a batch read back from the spool, ahead of new rows. */
  addReplayed(token: string, file: string): Batch {
    const batch: Batch = { token, lines: [], spans: 0, sealed: true, replayFile: file };
    const firstNew = this.batches.findIndex((b) => b.replayFile === undefined);
    this.batches.splice(firstNew === -1 ? this.batches.length : firstNew, 0, batch);
    return batch;
  }

  /** The oldest sealed batch, which is next to be written. */
  next(): Batch | undefined {
    const head = this.batches[0];
    return head?.sealed === true ? head : undefined;
  }

  /** The newest sealed batch (what a flush has to wait for). */
  lastSealed(): Batch | undefined {
    for (let i = this.batches.length - 1; i >= 0; i--) {
      const batch = this.batches[i];
      if (batch?.sealed === true) return batch;
    }
    return undefined;
  }

  /** Forgets a batch that was stored or given up. */
  remove(batch: Batch): void {
    const index = this.batches.indexOf(batch);
    if (index === -1) return;
    this.batches.splice(index, 1);
    // Replayed rows never counted against the memory bound.
    if (batch.replayFile === undefined) this.queuedSpans -= batch.spans;
  }

  private openNew(): Batch {
    const batch: Batch = {
      token: newBatchToken(),
      lines: [],
      spans: 0,
      sealed: false,
      replayFile: undefined,
    };
    this.batches.push(batch);
    this.open = batch;
    return batch;
  }
}
