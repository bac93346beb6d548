#!/usr/bin/env -S npx tsx
/**
 * The collector's entry: reads the environment (only here), logs JSON lines
 * to stderr, stores spans in ClickHouse (embedded unless a URL is given) and
 * closes cleanly on SIGINT/SIGTERM.
 *
 * AGENTTRACE_COLLECTOR_PORT   default 4318
 * AGENTTRACE_COLLECTOR_HOST   default 127.0.0.1
 * AGENTTRACE_COLLECTOR_TOKENS comma-separated bearer tokens; none = no auth
 * AGENTTRACE_COLLECTOR_TOKENS_FILE  a file of tokens, one a line (`#` comments);
 *                             also `--tokens-file <path>`, which wins
 * AGENTTRACE_CLICKHOUSE_URL, _USER, _PASSWORD, _DATABASE   a ClickHouse server
 * AGENTTRACE_STORE_PATH       the embedded store's directory, default ./.agenttrace/store
 * AGENTTRACE_SPOOL_DIR        the write-ahead spool (also `--spool-dir`), default
 *                             <store>/agenttrace-spool, or .agenttrace/collector-spool for a server
 * AGENTTRACE_NO_SPOOL=1       no spool (also `--no-spool`): a request waits for its insert
 * AGENTTRACE_SESSION_KEY_FILE a file holding the session key (32+ bytes); also
 *                             `--session-key-file <path>`, which wins
 * AGENTTRACE_SESSION_KEY      the session key itself; none = session ids are dropped
 * AGENTTRACE_PSEUDONYMIZE_USER_ID  `true`: also store end-user pseudonyms
 * AGENTTRACE_TAIL_SAMPLING_RATE    tail sampling on, keeping this share (0..1) of
 *                             successful traces; undecided spans wait in <spool dir>-tail
 * AGENTTRACE_TAIL_DECISION_WAIT_MS how long a trace waits for its run span, default 30000
 */
import { parseArgs } from 'node:util';
import { storeOptionsFromEnv } from '@agenttrace/clickhouse-exporter';
import { readSessionKeyFile } from '@agenttrace/sdk';
import { createJsonLineLogger } from './logger.js';
import { startCollectorService } from './service.js';
import { collectTokens } from './tokens-file.js';

const logger = createJsonLineLogger((line) => process.stderr.write(line));

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.AGENTTRACE_COLLECTOR_PORT ?? 4318);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(
      `AGENTTRACE_COLLECTOR_PORT must be an integer in 0..65535 (got ${env.AGENTTRACE_COLLECTOR_PORT})`,
    );
  const { values } = parseArgs({
    options: {
      'tokens-file': { type: 'string' },
      'spool-dir': { type: 'string' },
      'no-spool': { type: 'boolean' },
      'session-key-file': { type: 'string' },
    },
  });
  const keyFile = values['session-key-file'] ?? env.AGENTTRACE_SESSION_KEY_FILE;
  const sessionKey = keyFile
    ? readSessionKeyFile(keyFile)
    : env.AGENTTRACE_SESSION_KEY || undefined;
  if (sessionKey === undefined)
    logger.warn(
      'no --session-key-file, AGENTTRACE_SESSION_KEY_FILE or AGENTTRACE_SESSION_KEY: session ids are dropped',
    );
  const { tokens, warning } = collectTokens({
    list: env.AGENTTRACE_COLLECTOR_TOKENS,
    file: values['tokens-file'] ?? env.AGENTTRACE_COLLECTOR_TOKENS_FILE,
  });
  if (warning) logger.warn(warning);
  if (tokens.length === 0)
    logger.warn(
      'no --tokens-file, AGENTTRACE_COLLECTOR_TOKENS_FILE or AGENTTRACE_COLLECTOR_TOKENS: /v1 accepts unauthenticated requests',
    );
  const store = storeOptionsFromEnv(env);
  if (store.url === undefined && env.AGENTTRACE_STORE_PATH) store.path = env.AGENTTRACE_STORE_PATH;
  const service = await startCollectorService({
    store,
    tokens,
    port,
    host: env.AGENTTRACE_COLLECTOR_HOST ?? '127.0.0.1',
    spool:
      values['no-spool'] === true || /^(1|true)$/i.test(env.AGENTTRACE_NO_SPOOL?.trim() ?? '')
        ? false
        : { dir: values['spool-dir'] ?? env.AGENTTRACE_SPOOL_DIR },
    logger,
    collector: {
      sessionKey,
      pseudonymizeUserId: /^true$/i.test(env.AGENTTRACE_PSEUDONYMIZE_USER_ID?.trim() ?? ''),
      ...(env.AGENTTRACE_TAIL_SAMPLING_RATE && {
        tailSampling: {
          successRate: Number(env.AGENTTRACE_TAIL_SAMPLING_RATE),
          ...(env.AGENTTRACE_TAIL_DECISION_WAIT_MS && {
            decisionWaitMs: Number(env.AGENTTRACE_TAIL_DECISION_WAIT_MS),
          }),
        },
      }),
    },
  });
  const stop = (signal: string) => {
    logger.info('stopping', { signal });
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  logger.error('collector failed to start', {
    error: err instanceof Error ? err.message : 'unknown',
  });
  process.exit(1);
});
