/**
 * The tail sampler's write-ahead log: with tail sampling on, a request's
 * filtered spans are appended here and fsynced before its 200, so spans that
 * wait for a keep/drop decision survive a crash. Decisions and exporter
 * acknowledgements are appended too, so a restart neither stores a span of a
 * dropped trace nor exports a kept span the exporter already took.
 *
 * The log is a series of segment files `<seq>.ndjson`; the newest one takes
 * appends and is replaced after `rotateMs` or an eighth of `maxBytes`. A
 * segment is deleted once none of its spans is live (undecided, or kept and
 * not yet acknowledged by the exporter) and every older segment is gone, so a
 * decision record outlives every span written before it; a span written after
 * its trace was decided carries the decision in its own record.
 *
 * Writes are group-committed as the exporter's spool does: appends that come
 * while a round is on disk go together in the next one, one `fdatasync` per
 * segment a round touched. Bounded: {@link TailSpool.write} refuses a
 * request past `maxBytes` with {@link TailSpoolFullError}.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  decodeLine,
  decodeSpans,
  encodeLine,
  encodeSpan,
  type EncodedSpan,
} from './tail-span-codec.js';

const SUFFIX = '.ndjson';
/** Digits of a segment's sequence number in its file name (names sort by age). */
const SEQ_DIGITS = 12;

/** The tail spool is full: the request is refused whole (503). */
export class TailSpoolFullError extends Error {
  readonly code = 'TAIL_SPOOL_FULL';
  override readonly name = 'TailSpoolFullError';
  constructor(maxBytes: number) {
    super(
      `the tail-sampling spool is full (maxBytes ${maxBytes}): decisions or the store are behind`,
    );
  }
}

/** One line of a segment. */
interface SpoolRecord {
  /** Spans of one request. */
  s?: EncodedSpan[];
  /** Decisions: trace id → keep. */
  d?: Record<string, boolean>;
  /** Span ids the exporter acknowledged (`traceId:spanId`). */
  e?: string[];
}

interface Segment {
  readonly seq: number;
  readonly file: string;
  readonly opened: number;
  bytes: number;
  live: number;
  handle: FileHandle | undefined;
  /** Settles when its last append is durable (or failed). */
  last: Promise<void>;
}

interface PendingWrite {
  readonly segment: Segment;
  readonly data: string;
  resolve(): void;
  reject(error: unknown): void;
}

/** What a start found in the spool. */
export interface TailReplay {
  /** Spans neither discarded nor acknowledged by the exporter, oldest first. */
  readonly spans: ReadableSpan[];
  /** Decisions recorded for their traces. */
  readonly decisions: Map<string, boolean>;
}

const keyOf = (span: ReadableSpan) => {
  const c = span.spanContext();
  return `${c.traceId}:${c.spanId}`;
};

/** The segment files of one tail sampler; one collector per directory. */
export class TailSpool {
  private readonly segments: Segment[] = [];
  private readonly owner = new WeakMap<ReadableSpan, Segment>();
  private active: Segment | undefined;
  private nextSeq = 0;
  private bytes = 0;
  private pending: PendingWrite[] = [];
  private committing: Promise<void> | undefined;
  private lastWrite: Promise<void> = Promise.resolve();
  /** Flush rounds done (each one `fdatasync` per segment it touched). */
  rounds = 0;

  /**
   * @param dir created if needed
   * @param maxBytes most bytes the segments may hold
   * @param rotateMs age after which the active segment is replaced
   */
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly rotateMs: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Bytes on disk or being written. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Reads the segments an earlier run left (call once, before any write).
   * Their live spans are owned by their old segments until released.
   */
  replay(): TailReplay {
    const decisions = new Map<string, boolean>();
    const exported = new Set<string>();
    const found: { segment: Segment; spans: EncodedSpan[] }[] = [];
    const names = readdirSync(this.dir)
      .filter((n) => n.endsWith(SUFFIX))
      .sort();
    for (const name of names) {
      const file = join(this.dir, name);
      const seq = Number(name.slice(0, -SUFFIX.length));
      const bytes = statSync(file).size;
      const segment: Segment = {
        seq,
        file,
        opened: 0,
        bytes,
        live: 0,
        handle: undefined,
        last: Promise.resolve(),
      };
      this.segments.push(segment);
      this.bytes += bytes;
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const lines = readFileSync(file, 'utf8').split('\n');
      // The last element is '' after a complete write, or a line a crash cut short.
      lines.pop();
      const spans: EncodedSpan[] = [];
      for (const line of lines) {
        if (line.length === 0) continue;
        let record: SpoolRecord;
        try {
          record = decodeLine(line) as SpoolRecord;
        } catch {
          continue;
        }
        for (const [traceId, keep] of Object.entries(record.d ?? {}))
          if (!decisions.has(traceId)) decisions.set(traceId, keep);
        for (const key of record.e ?? []) exported.add(key);
        if (record.s) spans.push(...record.s);
      }
      found.push({ segment, spans });
    }
    const out: ReadableSpan[] = [];
    for (const { segment, spans } of found) {
      const live = spans.filter((e) => !exported.has(`${e.t}:${e.s}`));
      for (const span of decodeSpans(live)) {
        this.owner.set(span, segment);
        segment.live++;
        out.push(span);
      }
    }
    void this.collect();
    return { spans: out, decisions };
  }

  /**
   * Appends one request's spans; resolves once they are on disk. `decisionOf`
   * gives the decision already made for a trace, written with its spans.
   * Rejects with {@link TailSpoolFullError} (nothing written) past `maxBytes`.
   */
  write(
    spans: readonly ReadableSpan[],
    decisionOf: (traceId: string) => boolean | undefined,
  ): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    const d: Record<string, boolean> = {};
    let decided = false;
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      const keep = decisionOf(traceId);
      if (keep !== undefined) {
        d[traceId] = keep;
        decided = true;
      }
    }
    const record: SpoolRecord = { s: spans.map(encodeSpan), ...(decided ? { d } : {}) };
    const data = `${encodeLine(record)}\n`;
    const size = Buffer.byteLength(data);
    if (this.bytes + size > this.maxBytes)
      return Promise.reject(new TailSpoolFullError(this.maxBytes));
    const segment = this.current();
    for (const span of spans) this.owner.set(span, segment);
    segment.live += spans.length;
    return this.append(segment, data, size);
  }

  /** Resolves once every write appended so far is on disk (or failed). */
  sync(): Promise<void> {
    return this.lastWrite;
  }

  /** Records a decision (durable with the next round; the caller does not wait). */
  decided(traceId: string, keep: boolean): void {
    const data = `${encodeLine({ d: { [traceId]: keep } })}\n`;
    void this.append(this.current(), data, Buffer.byteLength(data)).catch(() => undefined);
  }

  /**
   * Records that the exporter acknowledged `spans`, then releases them.
   * Resolves once the record is on disk.
   */
  async exported(spans: readonly ReadableSpan[]): Promise<void> {
    const data = `${encodeLine({ e: spans.map(keyOf) })}\n`;
    try {
      await this.append(this.current(), data, Buffer.byteLength(data));
    } finally {
      this.release(spans);
    }
  }

  /** Spans that need no replay any more (discarded, or acknowledged). */
  release(spans: readonly ReadableSpan[]): void {
    for (const span of spans) {
      const segment = this.owner.get(span);
      if (segment === undefined) continue;
      this.owner.delete(span);
      segment.live--;
    }
    void this.collect();
  }

  /** Waits for pending writes and closes the files (their content stays). */
  async close(): Promise<void> {
    await this.committing;
    for (const segment of this.segments) {
      await segment.last;
      await segment.handle?.close();
      segment.handle = undefined;
    }
    this.active = undefined;
  }

  private current(): Segment {
    const now = performance.now();
    const a = this.active;
    if (a && now - a.opened < this.rotateMs && a.bytes < this.maxBytes / 8) return a;
    const seq = this.nextSeq++;
    const file = join(this.dir, `${String(seq).padStart(SEQ_DIGITS, '0')}${SUFFIX}`);
    const segment: Segment = {
      seq,
      file,
      opened: now,
      bytes: 0,
      live: 0,
      handle: undefined,
      last: Promise.resolve(),
    };
    this.segments.push(segment);
    this.active = segment;
    void this.collect();
    return segment;
  }

  private append(segment: Segment, data: string, size: number): Promise<void> {
    segment.bytes += size;
    this.bytes += size;
    const write = new Promise<void>((resolve, reject) =>
      this.pending.push({ segment, data, resolve, reject }),
    );
    segment.last = write.catch(() => undefined);
    this.lastWrite = segment.last;
    this.committing ??= this.commitLoop();
    return write;
  }

  private async commitLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const round = this.pending;
      this.pending = [];
      this.rounds += 1;
      const bySegment = new Map<Segment, PendingWrite[]>();
      for (const w of round) {
        const list = bySegment.get(w.segment);
        if (list) list.push(w);
        else bySegment.set(w.segment, [w]);
      }
      await Promise.all([...bySegment].map(([segment, writes]) => this.flush(segment, writes)));
    }
    this.committing = undefined;
  }

  private async flush(segment: Segment, writes: PendingWrite[]): Promise<void> {
    try {
      if (segment.handle === undefined) {
        segment.handle = await open(segment.file, 'a');
        // The new file's directory entry must be durable too, not just its content.
        const dh = await open(this.dir, 'r');
        try {
          await dh.sync();
        } finally {
          await dh.close();
        }
      }
      await segment.handle.write(writes.map((w) => w.data).join(''));
      await segment.handle.datasync();
      for (const w of writes) w.resolve();
    } catch (error) {
      for (const w of writes) w.reject(error);
    }
  }

  /** Deletes the oldest segments while none of their spans is live. */
  private async collect(): Promise<void> {
    while (this.segments.length > 0) {
      const oldest = this.segments[0] as Segment;
      if (oldest === this.active || oldest.live > 0) return;
      this.segments.shift();
      await oldest.last;
      await oldest.handle?.close();
      oldest.handle = undefined;
      await unlink(oldest.file).catch(() => undefined);
      this.bytes -= oldest.bytes;
    }
  }
}
