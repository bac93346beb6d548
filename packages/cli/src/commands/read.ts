/** The read commands: runs, trace, stats, failures, feedback. */
import { parseSince, type RunRow, type StatsRow } from '@agenttrace/query';
import { count, duration, percent, table, usd, type Column } from '../format/table.js';
import { waterfall } from '../format/waterfall.js';
import { CliError, print, type GlobalOptions } from '../io.js';
import { withReader } from '../reader.js';
import { traceWorkflows } from './trace-workflows.js';

/** Columns of a runs table; shared with the demo. */
export function runColumns(g: GlobalOptions): Column<RunRow>[] {
  const status = (r: RunRow) =>
    g.paint(r.status === 'success' ? 'green' : r.status === 'failure' ? 'red' : 'yellow', r.status);
  return [
    { header: 'RUN', cell: (r) => r.run_id },
    { header: 'AGENT', cell: (r) => `${r.agent}${r.agent_version ? `@${r.agent_version}` : ''}` },
    { header: 'VARIANT', cell: (r) => r.variant || '-' },
    { header: 'STATUS', cell: status },
    { header: 'STARTED (UTC)', cell: (r) => r.started_at.slice(0, 19) },
    { header: 'DURATION', cell: (r) => duration(r.duration_ms), align: 'right' },
    { header: 'STEPS', cell: (r) => String(r.step_count), align: 'right' },
    { header: 'RETRIES', cell: (r) => String(r.retry_count), align: 'right' },
    { header: 'TOKENS', cell: (r) => count(r.input_tokens + r.output_tokens), align: 'right' },
    { header: 'COST', cell: (r) => usd(r.cost_usd), align: 'right' },
    {
      header: 'FAILURE',
      cell: (r) => (r.failure_type ? `${r.failure_type}/${r.failure_code}` : ''),
    },
  ];
}

/** Columns of a stats table; shared with the demo. */
export function statsColumns(by: string): Column<StatsRow>[] {
  const runs = by === 'agent' || by === 'version' || by === 'variant';
  return [
    ...(runs ? [{ header: 'AGENT', cell: (r: StatsRow) => r.agent || '-' }] : []),
    ...(by === 'agent' ? [] : [{ header: by.toUpperCase(), cell: (r: StatsRow) => r.key || '-' }]),
    ...(runs
      ? [{ header: 'RUNS', cell: (r: StatsRow) => count(r.runs), align: 'right' as const }]
      : []),
    { header: runs ? 'SUCCESS' : 'CALLS OK', cell: (r) => percent(r.success_rate), align: 'right' },
    ...(runs
      ? []
      : [{ header: 'CALLS', cell: (r: StatsRow) => count(r.calls), align: 'right' as const }]),
    { header: 'P50', cell: (r) => duration(r.p50_ms), align: 'right' },
    { header: 'P95', cell: (r) => duration(r.p95_ms), align: 'right' },
    { header: 'P99', cell: (r) => duration(r.p99_ms), align: 'right' },
    { header: 'RETRIES', cell: (r) => count(r.retries), align: 'right' },
    { header: 'TOKENS IN', cell: (r) => count(r.input_tokens), align: 'right' },
    { header: 'TOKENS OUT', cell: (r) => count(r.output_tokens), align: 'right' },
    { header: 'COST', cell: (r) => usd(r.cost_usd), align: 'right' },
  ];
}

/** `agenttrace runs`. */
export async function runsCommand(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const runs = await withReader(g, (r) =>
    r.runs({
      agent: o.agent as string | undefined,
      version: o.version as string | undefined,
      variant: o.variant as string | undefined,
      status: o.status as 'success' | undefined,
      failureType: o.failureType as 'tool' | undefined,
      since: o.since as string | undefined,
      limit: o.limit,
    }),
  );
  print(g, runs, () => (runs.length === 0 ? 'no runs match' : table(runs, runColumns(g))));
}

/** `agenttrace trace <id>`. */
export async function traceCommand(g: GlobalOptions, id: string): Promise<void> {
  const found = await withReader(g, async (r) => {
    const runs = await r.getRuns(id);
    const workflows = await traceWorkflows(r, runs);
    return Promise.all(
      runs.map(async (run) => ({
        run,
        steps: await r.steps(run.run_id),
        workflow: workflows.get(run.trace_id.toLowerCase()),
      })),
    );
  });
  if (found.length === 0)
    throw new CliError(`no run or trace with id ${id}`, 'list run ids with `agenttrace runs`');
  print(g, found, () =>
    found.map((f) => waterfall(f.run, f.steps, g.paint, { workflow: f.workflow })).join('\n\n'),
  );
}

/** `agenttrace stats`. */
export async function statsCommand(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const by = o.by as 'agent';
  const rows = await withReader(g, (r) =>
    r.stats({ by, agent: o.agent as string | undefined, since: o.since as string }),
  );
  print(g, rows, () =>
    rows.length === 0 ? 'no runs in that range' : table(rows, statsColumns(by)),
  );
}

/** `agenttrace failures`. */
export async function failuresCommand(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const given = o.since as string | undefined;
  const since = given === undefined ? undefined : parseSince(given);
  if (given !== undefined && since === undefined)
    throw new CliError(
      `--since must be a duration like 30m, 24h, 7d or an ISO date (got "${given}")`,
      undefined,
      2,
    );
  const rows = await withReader(g, (r) =>
    r.failures({
      runId: o.run as string | undefined,
      since,
      limit: o.limit as number,
    }),
  );
  print(g, rows, () =>
    rows.length === 0
      ? 'no failures'
      : table(rows, [
          { header: 'WHEN (UTC)', cell: (r) => r.occurred_at.slice(0, 19) },
          { header: 'LEVEL', cell: (r) => r.level },
          { header: 'AGENT', cell: (r) => r.agent },
          { header: 'TYPE', cell: (r) => g.paint('red', r.failure_type) },
          { header: 'CODE', cell: (r) => r.failure_code },
          { header: 'STEP', cell: (r) => r.failure_step || '-' },
          { header: 'RUN', cell: (r) => r.run_id },
        ]),
  );
}

/** `agenttrace feedback`. */
export async function feedbackCommand(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const rows = await withReader(g, (r) =>
    r.feedback({ runId: o.run as string | undefined, limit: o.limit as number }),
  );
  print(g, rows, () =>
    rows.length === 0
      ? 'no feedback'
      : table(rows, [
          { header: 'WHEN (UTC)', cell: (r) => r.created_at.slice(0, 19) },
          { header: 'AGENT', cell: (r) => r.agent || '-' },
          { header: 'VARIANT', cell: (r) => r.variant || '-' },
          { header: 'METRIC', cell: (r) => r.metric },
          { header: 'SCORE', cell: (r) => String(r.score_value), align: 'right' },
          { header: 'LABEL', cell: (r) => r.score_label || '-' },
          { header: 'RUN', cell: (r) => r.run_id },
        ]),
  );
}
