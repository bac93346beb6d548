/** What every command gets: parsed global options, output streams and a painter. */
import type { Paint } from './format/color.js';

/** Where a command writes, and the environment it reads. */
export interface Io {
  out: { write(text: string): unknown; isTTY?: boolean };
  err: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Global options after parsing. */
export interface GlobalOptions {
  path?: string;
  url?: string;
  user?: string;
  password?: string;
  database?: string;
  /** The collector's base URL, to read through its query API. */
  api?: string;
  /** Bearer token for the collector. */
  token?: string;
  json: boolean;
  io: Io;
  paint: Paint;
}

/** An error for the user: what went wrong, what to do, and the exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Prints a value as JSON (scripts) or the given text (people). */
export function print(g: GlobalOptions, value: unknown, text: () => string): void {
  g.io.out.write(g.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}
