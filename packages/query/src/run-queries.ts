/**
 * Runs, one run, its steps, failures and feedback, read from the views with
 * bound parameters only (no value is ever spliced into SQL text).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { parseFilters, runFiltersSchema, type RunFiltersInput } from './filters.js';
import { selectRows } from './select.js';

/** One row of `agent_runs`, as the API returns it. */
export interface RunRow {
  run_id: string;
  trace_id: string;
  span_id: string;
  agent: string;
  agent_version: string;
  variant: string;
  service: string;
  environment: string;
  origin: string;
  parent_run_id: string;
  status: string;
  started_at: string;
  duration_ms: number;
  step_count: number;
  retry_count: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number | null;
  failure_type: string;
  failure_code: string;
  failure_step: string;
}

/** One row of `agent_steps`. */
export interface StepRow {
  run_id: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  step_type: string;
  step_name: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status: string;
  model: string;
  provider: string;
  tool: string;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  time_to_first_chunk_ms: number | null;
  cost_usd: number | null;
  failure_type: string;
  failure_code: string;
  /** A handoff's `gen_ai.transfer.mode` (`pass_control`, `return_to_caller`); '' for other steps. */
  transfer_mode: string;
  /** The agent a handoff went to (`gen_ai.transfer.target.name`); '' for other steps. */
  transfer_target: string;
}

/** One row of `agent_failures`. */
export interface FailureRow {
  level: string;
  run_id: string;
  trace_id: string;
  agent: string;
  agent_version: string;
  step_type: string;
  failure_type: string;
  failure_code: string;
  failure_step: string;
  occurred_at: string;
}

/** One row of `agent_feedback`. */
export interface FeedbackRow {
  run_id: string;
  metric: string;
  score_value: number;
  score_label: string;
  created_at: string;
  agent: string;
  agent_version: string;
  variant: string;
}

const RUN_COLUMNS = `run_id, trace_id, span_id, agent, agent_version, variant, service, environment, origin,
  parent_run_id, status, started_at, duration_ms, step_count, retry_count,
  input_tokens, output_tokens, cached_tokens, cost_usd, failure_type, failure_code, failure_step`;

const TRACE_ID = /^[0-9a-f]{32}$/i;

/**
 * Lists runs, newest first. Throws `InvalidQueryError` naming a bad filter.
 *
 * @example
 * await listRuns(client, { agent: 'support', status: 'failure', since: '24h' });
 */
export async function listRuns(
  client: ClickHouseClient,
  input: RunFiltersInput = {},
): Promise<RunRow[]> {
  const f = parseFilters(runFiltersSchema, input);
  // Page through agent_run_index (one row per run, no step rollup) first:
  // agent_runs must aggregate every run before it can sort them.
  const where: string[] = [];
  if (f.agent !== undefined) where.push('agent = {agent:String}');
  if (f.version !== undefined) where.push('agent_version = {version:String}');
  if (f.variant !== undefined) where.push('variant = {variant:String}');
  if (f.status !== undefined) where.push('status = {status:String}');
  if (f.since !== undefined) where.push('started_at >= {since:DateTime64(3)}');
  if (f.until !== undefined) where.push('started_at < {until:DateTime64(3)}');
  // a failure-type filter needs the rollup, so the index cannot cut the page
  const page =
    f.failureType === undefined ? 'ORDER BY started_at DESC, run_id LIMIT {window:UInt32}' : '';
  const ids = `SELECT run_id FROM agent_run_index ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${page}`;
  const sql = `SELECT ${RUN_COLUMNS} FROM agent_runs WHERE run_id IN (${ids})
    ${f.failureType !== undefined ? 'AND failure_type = {failureType:String}' : ''}
    ORDER BY started_at DESC, run_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`;
  return selectRows<RunRow>(client, sql, {
    ...f,
    window: f.offset + f.limit,
    since: f.since?.getTime() !== undefined ? f.since.getTime() / 1000 : undefined,
    until: f.until?.getTime() !== undefined ? f.until.getTime() / 1000 : undefined,
  });
}

/** The runs matching a run id, or every run of a trace when given a 32-hex trace id. */
export async function getRuns(client: ClickHouseClient, id: string): Promise<RunRow[]> {
  const byTrace = TRACE_ID.test(id);
  return selectRows<RunRow>(
    client,
    `SELECT ${RUN_COLUMNS} FROM agent_runs WHERE ${byTrace ? 'lower(trace_id) = lower({id:String})' : 'run_id = {id:String}'}
     ORDER BY started_at, run_id`,
    { id },
  );
}

/** The steps of a run, in start order (retried attempts each a row). */
export async function getRunSteps(client: ClickHouseClient, runId: string): Promise<StepRow[]> {
  return selectRows<StepRow>(
    client,
    `SELECT run_id, trace_id, span_id, parent_span_id, step_type, step_name, attempt,
       started_at, duration_ms, status, model, provider, tool, input_tokens,
       output_tokens, cached_tokens, time_to_first_chunk_ms, cost_usd, failure_type, failure_code,
       transfer_mode, transfer_target
     FROM agent_steps WHERE run_id = {runId:String} ORDER BY started_at, seq, span_id`,
    { runId },
  );
}

/** Classified failures, newest first; of one run when `runId` is given. */
export async function listFailures(
  client: ClickHouseClient,
  options: { runId?: string; since?: Date; limit?: number } = {},
): Promise<FailureRow[]> {
  const where: string[] = [];
  if (options.runId !== undefined) where.push('run_id = {runId:String}');
  if (options.since !== undefined) where.push('occurred_at >= {since:DateTime64(3)}');
  return selectRows<FailureRow>(
    client,
    `SELECT level, run_id, trace_id, agent, agent_version, step_type, failure_type, failure_code,
       failure_step, occurred_at
     FROM agent_failures ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY occurred_at DESC LIMIT {limit:UInt32}`,
    {
      runId: options.runId,
      since: options.since ? options.since.getTime() / 1000 : undefined,
      limit: options.limit ?? 100,
    },
  );
}

/** Feedback scores, newest first; of one run when `runId` is given. */
export async function listFeedback(
  client: ClickHouseClient,
  options: { runId?: string; limit?: number } = {},
): Promise<FeedbackRow[]> {
  return selectRows<FeedbackRow>(
    client,
    `SELECT run_id, metric, score_value, score_label, created_at, agent, agent_version, variant
     FROM agent_feedback ${options.runId !== undefined ? 'WHERE run_id = {runId:String}' : ''}
     ORDER BY created_at DESC LIMIT {limit:UInt32}`,
    { runId: options.runId, limit: options.limit ?? 100 },
  );
}
