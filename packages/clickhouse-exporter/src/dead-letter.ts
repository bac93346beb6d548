/**
 * The dead letter: rows the store refused one by one, kept in one bounded
 * file, `dead-letter.ndjson`, so an operator can see why and replay them by
 * hand. The rows are the exporter's own `otel_traces` rows, already reduced
 * by the allowlist, so the file holds nothing the store would not; the
 * exporter never logs them.
 *
 * Each line is one record: `{"token", "at", "clickhouseCode",
 * "clickhouseType", "error", "row"}`. `token` is the deduplication token the
 * row's own insert was refused under, unique per row and the same on every
 * replay of its batch; a row whose token is in the file already is not
 * written again, so a batch replayed after a crash adds no duplicates.
 *
 * Bounded by bytes: a record that would pass `maxBytes` is not written and is
 * counted as dropped (the oldest are kept: they show when trouble started).
 */
import { mkdirSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreWriteError } from './errors.js';

/** The file's name inside the dead-letter directory. */
export const DEAD_LETTER_FILE = 'dead-letter.ndjson';
/** The directory under a spool directory that holds the dead letter. */
export const DEAD_LETTER_SUBDIR = 'dead-letter';
/** Default most bytes of the dead-letter file (16 MiB). */
export const DEFAULT_MAX_DEAD_LETTER_BYTES = 16 * 1024 * 1024;

/** One refused row. */
export interface DeadRow {
  /** The token of the row's own refused insert. */
  readonly token: string;
  /** The row, a `JSONEachRow` line. */
  readonly line: string;
  /** Why the store refused it. */
  readonly error: StoreWriteError;
}

/** What {@link DeadLetter.add} did with the rows. */
export interface DeadLetterResult {
  /** Rows written now, or found written by an earlier run. */
  readonly kept: number;
  /** Rows that did not fit under `maxBytes`. */
  readonly dropped: number;
}

/** The dead-letter file of one exporter. */
export class DeadLetter {
  readonly file: string;
  private loaded: Promise<void> | undefined;
  private readonly tokens = new Set<string>();
  private bytes = 0;
  /** The file ends in a line cut short by a crash: start the next record on a new line. */
  private needsNewline = false;

  /**
   * @param dir the directory of the file, created when first written
   * @param maxBytes most bytes of the file
   */
  constructor(
    readonly dir: string,
    readonly maxBytes = DEFAULT_MAX_DEAD_LETTER_BYTES,
  ) {
    this.file = join(dir, DEAD_LETTER_FILE);
  }

  /** Appends the rows not written yet and syncs the file; never logs them. */
  async add(rows: readonly DeadRow[]): Promise<DeadLetterResult> {
    await (this.loaded ??= this.load());
    let kept = 0;
    let dropped = 0;
    const records: string[] = [];
    let size = this.bytes + (this.needsNewline ? 1 : 0);
    for (const row of rows) {
      if (this.tokens.has(row.token)) {
        kept++;
        continue;
      }
      const record = `${toRecord(row)}\n`;
      const length = Buffer.byteLength(record);
      if (size + length > this.maxBytes) {
        dropped++;
        continue;
      }
      size += length;
      records.push(record);
      this.tokens.add(row.token);
      kept++;
    }
    if (records.length > 0) {
      const data = `${this.needsNewline ? '\n' : ''}${records.join('')}`;
      mkdirSync(this.dir, { recursive: true });
      const handle = await open(this.file, 'a');
      try {
        await handle.write(data);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.needsNewline = false;
      this.bytes = size;
    }
    return { kept, dropped };
  }

  /** Reads the tokens and size of what earlier runs wrote. */
  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    this.bytes = Buffer.byteLength(text);
    this.needsNewline = text.length > 0 && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      const token = tokenOf(line);
      if (token !== undefined) this.tokens.add(token);
    }
  }
}

/** A record line: the row is embedded as it is, not parsed and written again. */
function toRecord(row: DeadRow): string {
  const head = JSON.stringify({
    token: row.token,
    at: new Date().toISOString(),
    clickhouseCode: row.error.clickhouseCode ?? null,
    clickhouseType: row.error.clickhouseType ?? null,
    error: row.error.message,
  });
  return `${head.slice(0, -1)},"row":${row.line}}`;
}

function tokenOf(line: string): string | undefined {
  if (line === '') return undefined;
  try {
    const record = JSON.parse(line) as { token?: unknown };
    return typeof record.token === 'string' ? record.token : undefined;
  } catch {
    // A record cut short by a crash: its row is written again on replay.
    return undefined;
  }
}
