/**
 * `agenttrace sessions` (sessions, most recently active first) and
 * `agenttrace trace --session <id>` (one session's summary and its runs in
 * order). A session id is the stored pseudonym (`agenttrace.session.id`),
 * never the id the application used.
 */
import type { SessionRow } from '@agenttrace/query';
import { count, duration, table, usd, type Column } from '../format/table.js';
import { CliError, print, type GlobalOptions } from '../io.js';
import { withReader } from '../reader.js';
import { runColumns } from './read.js';

/** Columns of a sessions table. */
export function sessionColumns(g: GlobalOptions): Column<SessionRow>[] {
  return [
    { header: 'SESSION', cell: (s) => s.session_id },
    { header: 'LAST SEEN (UTC)', cell: (s) => s.last_seen.slice(0, 19) },
    { header: 'RUNS', cell: (s) => String(s.runs), align: 'right' },
    { header: 'TURNS', cell: (s) => String(s.turns), align: 'right' },
    { header: 'DURATION', cell: (s) => duration(s.duration_ms), align: 'right' },
    { header: 'TOKENS', cell: (s) => count(s.input_tokens + s.output_tokens), align: 'right' },
    { header: 'COST', cell: (s) => usd(s.cost_usd), align: 'right' },
    {
      header: 'FAILED',
      cell: (s) => (s.failed_runs > 0 ? g.paint('red', String(s.failed_runs)) : '0'),
      align: 'right',
    },
    { header: 'CODES', cell: (s) => s.failure_codes.join(',') || '-' },
    { header: 'AGENTS', cell: (s) => s.agents.join(',') },
    { header: 'SERVICES', cell: (s) => s.services.join(',') },
  ];
}

/** `agenttrace sessions`. */
export async function sessionsCommand(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const rows = await withReader(g, (r) =>
    r.sessions({
      since: o.since as string | undefined,
      service: o.service as string | undefined,
      agent: o.agent as string | undefined,
      limit: o.limit,
    }),
  );
  print(g, rows, () =>
    rows.length === 0 ? 'no sessions in that range' : table(rows, sessionColumns(g)),
  );
}

/** `agenttrace trace --session <id>`. */
export async function traceSessionCommand(g: GlobalOptions, id: string): Promise<void> {
  const found = await withReader(g, (r) => r.session(id));
  if (found === undefined)
    throw new CliError(`no session with id ${id}`, 'list session ids with `agenttrace sessions`');
  const s = found.session;
  print(g, found, () =>
    [
      `session ${s.session_id}: ${s.runs} runs, ${s.turns} turns, ${duration(s.duration_ms)}, ` +
        `${count(s.input_tokens + s.output_tokens)} tokens, ${usd(s.cost_usd)}, ` +
        `${s.failed_runs} failed${s.failure_codes.length ? ` (${s.failure_codes.join(', ')})` : ''}`,
      `first seen ${s.first_seen.slice(0, 19)} UTC, last seen ${s.last_seen.slice(0, 19)} UTC`,
      '',
      table(found.runs, runColumns(g)),
    ].join('\n'),
  );
}
