/** `agenttrace collector`: OTLP/HTTP in, allowlist, the store out, and the query API. */
import { collectTokens, createJsonLineLogger, startCollectorService } from '@agenttrace/collector';
import { readSessionKeyFile } from '@agenttrace/sdk';
import { CliError, type GlobalOptions } from '../io.js';
import { describeStore } from '../store-access.js';

/** Runs the collector until SIGINT/SIGTERM. */
export async function collectorCommand(
  g: GlobalOptions,
  o: Record<string, unknown>,
): Promise<void> {
  const logger = createJsonLineLogger((line) => g.io.err.write(line));
  let tokens: string[];
  try {
    const found = collectTokens({
      list: o.tokens as string | undefined,
      file: o.tokensFile as string | undefined,
    });
    tokens = found.tokens;
    if (found.warning) logger.warn(found.warning);
  } catch (err) {
    throw new CliError(
      (err as Error).message,
      'check --tokens-file / AGENTTRACE_COLLECTOR_TOKENS_FILE',
      2,
    );
  }
  if (o.tokensSource === 'cli')
    logger.warn(
      '--tokens on the command line is visible to other users (ps): use --tokens-file or AGENTTRACE_COLLECTOR_TOKENS_FILE',
    );
  if (tokens.length === 0)
    logger.warn(
      'no --tokens-file, AGENTTRACE_COLLECTOR_TOKENS_FILE or AGENTTRACE_COLLECTOR_TOKENS: the collector accepts unauthenticated requests',
    );
  let sessionKey: string | undefined;
  try {
    const keyFile = o.sessionKeyFile as string | undefined;
    sessionKey = keyFile
      ? readSessionKeyFile(keyFile)
      : process.env.AGENTTRACE_SESSION_KEY || undefined;
  } catch (err) {
    throw new CliError(
      (err as Error).message,
      'check --session-key-file / AGENTTRACE_SESSION_KEY_FILE',
      2,
    );
  }
  if (sessionKey === undefined)
    logger.warn(
      'no --session-key-file, AGENTTRACE_SESSION_KEY_FILE or AGENTTRACE_SESSION_KEY: session ids are dropped',
    );
  const pseudonymizeUserId =
    o.pseudonymizeUserId === true ||
    /^true$/i.test(process.env.AGENTTRACE_PSEUDONYMIZE_USER_ID?.trim() ?? '');
  let service;
  try {
    service = await startCollectorService({
      store: g.url
        ? { url: g.url, username: g.user, password: g.password, database: g.database }
        : { path: g.path, database: g.database },
      tokens,
      port: o.port as number,
      host: o.host as string,
      spool: o.spool === false ? false : { dir: o.spoolDir as string | undefined },
      logger,
      collector: { sessionKey, pseudonymizeUserId },
    });
  } catch (err) {
    throw new CliError(
      `cannot start the collector on ${describeStore(g)}: ${(err as Error).message}`,
      'is the port free and the store reachable?',
    );
  }
  g.io.err.write(
    `agenttrace collector: OTLP/HTTP on http://${service.address.address}:${service.address.port}/v1/traces, queries on /v1/runs, storing in ${describeStore(g)}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      service.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
