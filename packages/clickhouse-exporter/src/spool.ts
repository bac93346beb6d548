/**
 * Optional on-disk spool. Every batch has one file, `<token>.ndjson`, holding
 * its `JSONEachRow` lines. Rows are appended and fsynced before `export`
 * reports success, so spans accepted before a crash or during a long outage
 * survive a restart; the file is deleted once the batch is stored. On start
 * every file left over is replayed with its own token as the insert
 * deduplication token, so a batch that was stored just before a crash (but
 * not yet deleted) is not stored twice.
 *
 * One exporter per spool directory: two live exporters sharing one would
 * replay each other's open batches.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Extension of spool batch files. */
export const SPOOL_FILE_SUFFIX = '.ndjson';

interface OpenFile {
  /** Serialises writes to the file; settles when the last one is durable. */
  chain: Promise<void>;
  handle: FileHandle | undefined;
  closed: boolean;
}

/** A batch file found on start. */
export interface SpooledBatch {
  readonly token: string;
  readonly file: string;
}

/** Batch files in one directory. */
export class Spool {
  private readonly files = new Map<string, OpenFile>();

  /** Creates `dir` if needed. */
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
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

  /** Appends lines to a batch's file; resolves once they are on disk. */
  append(token: string, lines: readonly string[]): Promise<void> {
    let state = this.files.get(token);
    if (state === undefined) {
      state = { chain: Promise.resolve(), handle: undefined, closed: false };
      this.files.set(token, state);
    }
    const file = state;
    const data = `${lines.join('\n')}\n`;
    const write = file.chain.then(async () => {
      if (file.handle === undefined) {
        file.handle = await open(this.fileOf(token), 'a');
        await this.syncDir();
      }
      await file.handle.write(data);
      await file.handle.datasync();
    });
    // Later writes queue behind this one whether it failed or not.
    file.chain = write.catch(() => undefined);
    return write;
  }

  /** Waits for a batch's pending writes and closes its file. */
  async seal(token: string): Promise<void> {
    const file = this.files.get(token);
    if (file === undefined) return;
    await file.chain;
    this.files.delete(token);
    if (!file.closed) {
      file.closed = true;
      await file.handle?.close();
    }
  }

  /** Reads a batch file back; a line cut short by a crash is left out. */
  async read(file: string): Promise<string[]> {
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    // The last element is '' after a complete write, or a partial line after a crash.
    lines.pop();
    return lines.filter((line) => line.length > 0);
  }

  /** Deletes a stored batch's file. */
  async remove(token: string): Promise<void> {
    await this.seal(token);
    await unlink(this.fileOf(token)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Closes every open file (their content stays for the next start). */
  async close(): Promise<void> {
    await Promise.all([...this.files.keys()].map((token) => this.seal(token)));
  }

  private fileOf(token: string): string {
    return join(this.dir, `${token}${SPOOL_FILE_SUFFIX}`);
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
