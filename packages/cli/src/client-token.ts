/**
 * The bearer token the CLI sends to the collector: from `--token-file` /
 * `AGENTTRACE_COLLECTOR_TOKEN_FILE` (one token), or `AGENTTRACE_COLLECTOR_TOKEN`.
 * `--token <value>` still works but is visible to every user through `ps`,
 * so it draws a warning.
 */
import { CliError, type Io } from './io.js';

/** Where the token options came from, as commander reports it. */
export interface TokenSources {
  token?: string;
  tokenFile?: string;
  /** `'cli'` when `--token` was on the command line. */
  tokenSource?: string;
}

/** Resolves the client token; a token file wins over a token value. */
export async function resolveClientToken(s: TokenSources, io: Io): Promise<string | undefined> {
  if (s.tokenFile) {
    const { readTokensFile } = await import('@agenttrace/collector');
    let read;
    try {
      read = readTokensFile(s.tokenFile);
    } catch (err) {
      throw new CliError(
        (err as Error).message,
        'check --token-file / AGENTTRACE_COLLECTOR_TOKEN_FILE',
        2,
      );
    }
    if (read.tokens.length !== 1)
      throw new CliError(
        `token file ${s.tokenFile} holds ${read.tokens.length} tokens; the CLI sends one`,
        'give the CLI a file with only its own token',
        2,
      );
    if (read.warning) io.err.write(`agenttrace: warning: ${read.warning}\n`);
    return read.tokens[0];
  }
  if (s.token !== undefined && s.tokenSource === 'cli')
    io.err.write(
      'agenttrace: warning: --token on the command line is visible to other users (ps); use --token-file or AGENTTRACE_COLLECTOR_TOKEN\n',
    );
  return s.token;
}
