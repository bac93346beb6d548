/**
 * Reads bearer tokens from a file (one a line, `#` starts a comment line), so
 * tokens never appear in argv where `ps` shows them. The file's content is
 * never echoed into an error: messages name the path and the line number.
 */
import { readFileSync, statSync } from 'node:fs';
import { CollectorError } from './errors.js';

/** What {@link readTokensFile} found besides the tokens. */
export interface TokensFile {
  readonly tokens: string[];
  /** Set when the file is readable by other users: worth a warning, not a refusal. */
  readonly warning: string | undefined;
}

/** Tokens shorter than this are refused, as the collector's `tokens` option does. */
const MIN_TOKEN_LENGTH = 16;
/** Group and other write bits: anyone who can write the file can add a token. */
const WRITABLE_BY_OTHERS = 0o022;
/** Group and other read bits. */
const READABLE_BY_OTHERS = 0o044;

function refuse(message: string): never {
  throw new CollectorError('invalid_options', message);
}

/**
 * The tokens in the file at `path`. Refuses (a `CollectorError` with code
 * `invalid_options`) a file that is missing, writable by other users (anyone
 * could add a token), holds a line with a space or a token shorter than 16
 * characters, or holds no token at all (which would silently turn
 * authentication off). A file others can read is accepted with a warning:
 * secret volumes such as Kubernetes' are mounted 0644 by default, inside a
 * container where no other user runs.
 *
 * @example
 * const { tokens, warning } = readTokensFile('/run/secrets/agenttrace-tokens');
 */
export function readTokensFile(path: string): TokensFile {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    refuse(
      `tokens file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const posix = process.platform !== 'win32';
  if (posix && (mode & WRITABLE_BY_OTHERS) !== 0)
    refuse(
      `tokens file ${path} is writable by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`,
    );
  const tokens: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (/\s/.test(line)) refuse(`tokens file ${path} line ${i + 1}: a token has no spaces`);
    if (line.length < MIN_TOKEN_LENGTH)
      refuse(
        `tokens file ${path} line ${i + 1}: a token must be at least ${MIN_TOKEN_LENGTH} characters (got ${line.length})`,
      );
    tokens.push(line);
  });
  if (tokens.length === 0) refuse(`tokens file ${path} holds no token`);
  const warning =
    posix && (mode & READABLE_BY_OTHERS) !== 0
      ? `tokens file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`
      : undefined;
  return { tokens, warning };
}

/** Tokens from a comma-separated list (the `AGENTTRACE_COLLECTOR_TOKENS` form). */
export function parseTokenList(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/**
 * The collector's tokens from both places they may come from: a
 * comma-separated list (environment only, never argv) and a tokens file.
 * Both may be given (rotation: old tokens in one, new in the other).
 */
export function collectTokens(sources: { list?: string; file?: string }): TokensFile {
  const fromList = parseTokenList(sources.list);
  if (sources.file === undefined || sources.file === '')
    return { tokens: fromList, warning: undefined };
  const file = readTokensFile(sources.file);
  return { tokens: [...new Set([...fromList, ...file.tokens])], warning: file.warning };
}
