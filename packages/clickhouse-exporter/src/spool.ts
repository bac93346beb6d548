/**
 * Optional on-disk spool: the exporter's write-ahead log. Every batch has one
 * file, `<token>.ndjson`, holding its `JSONEachRow` lines. Rows are appended
 * and fsynced before `export` reports success, so spans accepted before a
 * crash or during a long outage survive a restart; the file is deleted once
 * the batch is stored. On start every file left over is replayed with its own
 * token as the insert deduplication token, so a batch that was stored just
 * before a crash (but not yet deleted) is not stored twice.
 *
 * Writes are group-committed: appends that arrive while a flush is on disk
 * wait for the next round, and one round writes them all and syncs each file
 * it touched once. Under load one `fdatasync` covers many `export` calls.
 * The spool is bounded: {@link Spool.reserve} refuses rows past `maxBytes`.
 *
 * One exporter per spool directory: two live exporters sharing one would
 * replay each other's open batches.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Extension of spool batch files. */
export const SPOOL_FILE_SUFFIX = '.ndjson';

/** A batch file found on start. */
export interface SpooledBatch {
  readonly token: string;
  readonly file: string;
}

interface PendingWrite {
  readonly token: string;
  readonly data: string;
  resolve(): void;
  reject(error: unknown): void;
}

interface OpenFile {
  handle: FileHandle | undefined;
  /** Settles when the last append to this file is durable (or failed). */
  last: Promise<void>;
}

/** Batch files in one directory. */
export class Spool {
  private readonly files = new Map<string, OpenFile>();
  /** Bytes of each batch file, written or reserved. */
  private readonly sizes = new Map<string, number>();
  private pending: PendingWrite[] = [];
  private committing: Promise<void> | undefined;
  private bytes = 0;
  /** Flush rounds done: how many `fdatasync` rounds the appends took. */
  rounds = 0;

  /**
   * Creates `dir` if needed and measures the files already there.
   * @param maxBytes most bytes the spool may hold on disk
   */
  constructor(
    readonly dir: string,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const { token, file } of this.leftovers()) {
      const size = statSync(file).size;
      this.sizes.set(token, size);
      this.bytes += size;
    }
  }

  /** Bytes held on disk (or reserved for writes under way). */
  get size(): number {
    return this.bytes;
  }

  /** Batch files left by an earlier run, oldest first (tokens sort by time). */
  leftovers(): SpooledBatch[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(SPOOL_FILE_SUFFIX))
      .sort()
      .map((name) => ({
        token: name.slice(0, -SPOOL_FILE_SUFFIX.length),
        file: join(this.dir, name),
      }));
  }

  /**
   * Reserves room for `bytes` more bytes; false (and nothing reserved) when
   * the spool would exceed `maxBytes`. Call before the rows are queued, so a
   * full spool refuses the whole call.
   */
  reserve(bytes: number): boolean {
    if (this.bytes + bytes > this.maxBytes) return false;
    this.bytes += bytes;
    return true;
  }

  /** Gives back a reservation whose rows were not queued after all. */
  release(bytes: number): void {
    this.bytes -= bytes;
  }

  /**
   * Appends lines to a batch's file; resolves once they are on disk. The
   * bytes must have been reserved with {@link reserve} (`spoolBytes(lines)`).
   */
  append(token: string, lines: readonly string[]): Promise<void> {
    const data = `${lines.join('\n')}\n`;
    this.sizes.set(token, (this.sizes.get(token) ?? 0) + Buffer.byteLength(data));
    let file = this.files.get(token);
    if (file === undefined) {
      file = { handle: undefined, last: Promise.resolve() };
      this.files.set(token, file);
    }
    const write = new Promise<void>((resolve, reject) =>
      this.pending.push({ token, data, resolve, reject }),
    );
    file.last = write.catch(() => undefined);
    this.committing ??= this.commitLoop();
    return write;
  }

  /** Waits for a batch's pending writes and closes its file. */
  async seal(token: string): Promise<void> {
    const file = this.files.get(token);
    if (file === undefined) return;
    await file.last;
    if (this.files.get(token) !== file) return;
    this.files.delete(token);
    await file.handle?.close();
  }

  /** Reads a batch file back; a line cut short by a crash is left out. */
  async read(file: string): Promise<string[]> {
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    // The last element is '' after a complete write, or a partial line after a crash.
    lines.pop();
    return lines.filter((line) => line.length > 0);
  }

  /** Deletes a stored batch's file and gives its bytes back. */
  async remove(token: string): Promise<void> {
    await this.seal(token);
    await unlink(this.fileOf(token)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.bytes -= this.sizes.get(token) ?? 0;
    this.sizes.delete(token);
  }

  /** Closes every open file (their content stays for the next start). */
  async close(): Promise<void> {
    await this.committing;
    await Promise.all([...this.files.keys()].map((token) => this.seal(token)));
  }

  /** The file of a batch. */
  pathOf(token: string): string {
    return this.fileOf(token);
  }

  private fileOf(token: string): string {
    return join(this.dir, `${token}${SPOOL_FILE_SUFFIX}`);
  }

  /** Group commit: each round writes everything queued, then syncs each touched file once. */
  private async commitLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const round = this.pending;
      this.pending = [];
      this.rounds += 1;
      const byToken = new Map<string, PendingWrite[]>();
      for (const write of round) {
        const list = byToken.get(write.token);
        if (list === undefined) byToken.set(write.token, [write]);
        else list.push(write);
      }
      await Promise.all([...byToken].map(([token, writes]) => this.flushFile(token, writes)));
    }
    this.committing = undefined;
  }

  private async flushFile(token: string, writes: PendingWrite[]): Promise<void> {
    try {
      const file = this.files.get(token);
      if (file === undefined) throw new Error(`spool file of ${token} was sealed before its write`);
      if (file.handle === undefined) {
        file.handle = await open(this.fileOf(token), 'a');
        await this.syncDir();
      }
      await file.handle.write(
        writes.length === 1 ? writes[0]!.data : writes.map((w) => w.data).join(''),
      );
      await file.handle.datasync();
      for (const w of writes) w.resolve();
    } catch (error) {
      for (const w of writes) w.reject(error);
    }
  }

  /** Makes a new file's directory entry durable, not just its content. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** Bytes `lines` take in a spool file. */
export function spoolBytes(lines: readonly string[]): number {
  let n = 0;
  for (const line of lines) n += Buffer.byteLength(line) + 1;
  return n;
}
