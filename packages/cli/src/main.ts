/**
 * The `agenttrace` command line. Parses arguments with commander, opens the
 * store (embedded by default, a server with --url), runs one command and
 * returns an exit code scripts can trust: 0 done, 1 failed, 2 bad usage, 3
 * signals fired (`agenttrace signals`).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { InvalidQueryError, SIGNALS, STATS_DIMENSIONS } from '@agenttrace/query';
import { colourWanted, painter } from './format/color.js';
import { runDemo } from './commands/demo.js';
import {
  runsCommand,
  traceCommand,
  statsCommand,
  failuresCommand,
  feedbackCommand,
} from './commands/read.js';
import { sessionsCommand, traceSessionCommand } from './commands/sessions.js';
import { sqlCommand } from './commands/sql.js';
import { signalsCommand, withThresholdOptions } from './commands/signals.js';
import { regressionsCommand, withRegressionOptions } from './commands/regressions.js';
import { migrateCommand } from './commands/migrate.js';
import { collectorCommand } from './commands/collector.js';
import { resolveClientToken } from './client-token.js';
import { CliError, type Io, type GlobalOptions } from './io.js';

export { CliError };

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a port in 0..65535 (got "${value}")`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer (got "${value}")`);
  return n;
}

/** Runs the CLI with `argv` (as `process.argv`); resolves to the exit code. */
export async function main(
  argv: string[],
  io: Io = { out: process.stdout, err: process.stderr, env: process.env },
): Promise<number> {
  const program = new Command('agenttrace')
    .description('See what your AI agents did, from the agenttrace store.')
    .version('0.1.0')
    .addOption(new Option('--path <dir>', 'embedded store directory').env('AGENTTRACE_STORE_PATH'))
    .addOption(
      new Option('--url <url>', 'ClickHouse server URL instead of the embedded store').env(
        'AGENTTRACE_CLICKHOUSE_URL',
      ),
    )
    .addOption(new Option('--user <name>', 'ClickHouse user').env('AGENTTRACE_CLICKHOUSE_USER'))
    .addOption(
      new Option('--password <secret>', 'ClickHouse password').env(
        'AGENTTRACE_CLICKHOUSE_PASSWORD',
      ),
    )
    .addOption(
      new Option('--database <name>', 'ClickHouse database').env('AGENTTRACE_CLICKHOUSE_DATABASE'),
    )
    .addOption(
      new Option(
        '--api <url>',
        "read through the collector's query API (e.g. http://127.0.0.1:4318)",
      ).env('AGENTTRACE_API_URL'),
    )
    .addOption(
      new Option('--token-file <path>', "file holding the collector's bearer token (one line)").env(
        'AGENTTRACE_COLLECTOR_TOKEN_FILE',
      ),
    )
    .addOption(
      new Option(
        '--token <token>',
        'bearer token for the collector (prefer --token-file: ps shows argv)',
      ).env('AGENTTRACE_COLLECTOR_TOKEN'),
    )
    .option('--json', 'print JSON for scripts instead of tables', false)
    .option('--no-color', 'never colour the output')
    .showHelpAfterError('(run agenttrace --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  let action: ((g: GlobalOptions) => Promise<void | number>) | undefined;
  const on = (fn: (g: GlobalOptions) => Promise<void | number>) => {
    action = fn;
  };

  program
    .command('demo')
    .description('run the example agents into the store and show what was traced')
    .action(() => on((g) => runDemo(g)));
  program
    .command('runs')
    .description('list runs, newest first')
    .option('--agent <name>')
    .option('--version <version>', 'agent version')
    .option('--variant <label>')
    .addOption(new Option('--status <status>').choices(['success', 'failure', 'partial']))
    .addOption(
      new Option('--failure-type <type>').choices(['tool', 'model', 'retrieval', 'orchestration']),
    )
    .option('--since <when>', 'e.g. 30m, 24h, 7d or an ISO date')
    .option('--limit <n>', 'most runs to show', positiveInt, 20)
    .action((o: Record<string, unknown>) => on((g) => runsCommand(g, o)));
  program
    .command('trace')
    .description(
      'show one run as a waterfall (a trace id shows every run of the trace), or a session and its runs',
    )
    .argument('[id]', 'run id or 32-hex trace id')
    .option(
      '--session <id>',
      "a session id (from `agenttrace sessions`): the session's runs in order",
    )
    .action((id: string | undefined, o: { session?: string }) =>
      on((g) => {
        if (o.session !== undefined) return traceSessionCommand(g, o.session);
        if (id === undefined)
          throw new CliError('trace needs a run id, a trace id or --session <id>', undefined, 2);
        return traceCommand(g, id);
      }),
    );
  program
    .command('sessions')
    .description('sessions (runs grouped by their pseudonymous session id), most recent first')
    .option('--since <when>', 'e.g. 1h, 24h, 7d or an ISO date', '24h')
    .option('--service <name>')
    .option('--agent <name>')
    .option('--limit <n>', 'most sessions to show', positiveInt, 50)
    .action((o: Record<string, unknown>) => on((g) => sessionsCommand(g, o)));
  program
    .command('stats')
    .description('runs, success rate, latency, tokens and cost')
    .addOption(new Option('--by <dimension>').choices([...STATS_DIMENSIONS]).default('agent'))
    .option('--agent <name>')
    .option('--since <when>', 'e.g. 24h, 7d or an ISO date', '24h')
    .action((o: Record<string, unknown>) => on((g) => statsCommand(g, o)));
  program
    .command('failures')
    .description('classified failures, newest first')
    .option('--run <id>')
    .option('--since <when>')
    .option('--limit <n>', 'most failures to show', positiveInt, 50)
    .action((o: Record<string, unknown>) => on((g) => failuresCommand(g, o)));
  program
    .command('feedback')
    .description('feedback scores recorded on runs')
    .option('--run <id>')
    .option('--limit <n>', 'most scores to show', positiveInt, 50)
    .action((o: Record<string, unknown>) => on((g) => feedbackCommand(g, o)));
  withThresholdOptions(
    program
      .command('signals')
      .description('signals that fired (loops, retry storms, budgets…); exits 3 when any did')
      .addOption(new Option('--signal <name>').choices([...SIGNALS]))
      .option('--agent <name>')
      .option('--since <when>', 'e.g. 1h, 24h, 7d or an ISO date', '24h')
      .option('--limit <n>', 'most signals to show', positiveInt, 100),
  ).action((o: Record<string, unknown>) => on((g) => signalsCommand(g, o)));
  withRegressionOptions(
    program
      .command('regressions')
      .description(
        'versions or variants compared on success rate, p95 latency and cost; exits 3 on a regression',
      ),
  ).action((o: Record<string, unknown>) => on((g) => regressionsCommand(g, o)));
  program
    .command('sql')
    .description('run a read-only SQL query against the store')
    .argument('<query>')
    .action((query: string) => on((g) => sqlCommand(g, query)));
  program
    .command('collector')
    .description(
      'receive OTLP/HTTP traces, apply the allowlist, store them and serve the query API',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on')
        .argParser(port)
        .default(4318)
        .env('AGENTTRACE_COLLECTOR_PORT'),
    )
    .addOption(
      new Option('--host <host>', 'address to listen on')
        .default('127.0.0.1')
        .env('AGENTTRACE_COLLECTOR_HOST'),
    )
    .addOption(
      new Option(
        '--tokens-file <path>',
        'file of accepted bearer tokens, one a line (# comments)',
      ).env('AGENTTRACE_COLLECTOR_TOKENS_FILE'),
    )
    .addOption(
      new Option(
        '--tokens <list>',
        'comma-separated bearer tokens (prefer --tokens-file: ps shows argv)',
      ).env('AGENTTRACE_COLLECTOR_TOKENS'),
    )
    .addOption(
      new Option(
        '--spool-dir <path>',
        'write-ahead spool: a request is answered once its spans are fsynced here (default: under the embedded store, or .agenttrace/collector-spool for --url)',
      ).env('AGENTTRACE_SPOOL_DIR'),
    )
    .addOption(
      new Option(
        '--no-spool',
        'acknowledge from memory: a crash loses what is queued (benchmarks only)',
      ),
    )
    .addOption(
      new Option(
        '--session-key-file <path>',
        'file holding the HMAC key (32+ bytes) session ids become pseudonyms under (else AGENTTRACE_SESSION_KEY); without a key they are dropped',
      ).env('AGENTTRACE_SESSION_KEY_FILE'),
    )
    .addOption(
      new Option(
        '--pseudonymize-user-id',
        'also store end-user pseudonyms, with the session key (or AGENTTRACE_PSEUDONYMIZE_USER_ID=true)',
      ),
    )
    .action((o: Record<string, unknown>, cmd: Command) =>
      on((g) => collectorCommand(g, { ...o, tokensSource: cmd.getOptionValueSource('tokens') })),
    );
  program
    .command('migrate')
    .description('create or update the tables and views')
    .option('--cluster <name>', 'emit ON CLUSTER, Replicated engines and Distributed tables')
    .option('--ttl-days <days>', 'drop spans older than this', positiveInt)
    .action((o: Record<string, unknown>) => on((g) => migrateCommand(g, o)));

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  if (!action) {
    program.outputHelp();
    return 2;
  }
  const raw = program.opts<{
    api?: string;
    token?: string;
    tokenFile?: string;
    path?: string;
    url?: string;
    user?: string;
    password?: string;
    database?: string;
    json: boolean;
    color: boolean;
  }>();
  try {
    const global: GlobalOptions = {
      ...raw,
      token: await resolveClientToken(
        { ...raw, tokenSource: program.getOptionValueSource('token') },
        io,
      ),
      io,
      paint: painter(!raw.json && colourWanted(io.out, io.env, raw.color)),
    };
    return (await action(global)) ?? 0;
  } catch (err) {
    if (err instanceof InvalidQueryError) {
      io.err.write(`agenttrace: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err.write(`agenttrace: ${err.message}\n${err.hint ? `  ${err.hint}\n` : ''}`);
      return err.exitCode;
    }
    io.err.write(`agenttrace: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
