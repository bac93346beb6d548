/**
 * Sessions: runs grouped by their pseudonymous session id
 * (`agenttrace.session.id`, a keyed hash; never the id as given), read from
 * `agent_session_index` and `agent_runs`. A page of sessions is chosen from
 * the index by time first, then only its runs are rolled up, so a list never
 * aggregates every run in the store (the `listRuns` pattern).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { parseFilters, parseSince, SINCE_EXPECTED } from './filters.js';
import type { RunRow } from './run-queries.js';
import { selectRows } from './select.js';

/** One session, as `agent_sessions` and {@link listSessions} return it. */
export interface SessionRow {
  session_id: string;
  /** The end-user pseudonym, or '' (off by default). */
  user_id: string;
  runs: number;
  /** Runs of origin `root`: user-visible requests. */
  turns: number;
  first_seen: string;
  /** End of the run that ended last. */
  last_seen: string;
  duration_ms: number;
  services: string[];
  agents: string[];
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number | null;
  failed_runs: number;
  partial_runs: number;
  failure_codes: string[];
}

/** One session with its runs in start order. */
export interface SessionDetail {
  session: SessionRow;
  runs: RunRow[];
}

const label = z
  .string()
  .regex(/^[A-Za-z0-9_@][A-Za-z0-9_.:/@-]{0,127}$/, 'a label of letters, digits and _.:/@-');
const time = z.string().transform((v, ctx) => {
  const date = parseSince(v);
  if (!date) ctx.addIssue({ code: 'custom', message: SINCE_EXPECTED });
  return date ?? new Date(0);
});
/** What a session id must be, for messages. */
const SESSION_ID = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,256}$/, 'a session id of letters, digits and _.:- (1..256)');

/** Latest instant a `DateTime64(9)` holds, rounded down to a day: 2262-04-11. */
const LAST_NS_MS = Date.UTC(2262, 3, 11);

/** Filters of {@link listSessions}. */
export const sessionFiltersSchema = z.object({
  /** Sessions with a run started at or after this. @default 24h */
  since: time.optional(),
  /** Only sessions with a run of this service. */
  service: label.optional(),
  /** Only sessions with a run of this agent. */
  agent: label.optional(),
  /** @default 50 */
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
/** Session filters as given by a user (strings allowed for numbers and times). */
export type SessionFiltersInput = z.input<typeof sessionFiltersSchema>;

/**
 * The rollup of `agent_sessions` (0022), for the sessions in `{ids}`; kept
 * alike to the view. `s` reads agent_session_index, `r` agent_runs.
 */
const ROLLUP = `
  s.session_id AS session_id,
  max(s.user_id) AS user_id,
  count() AS runs,
  countIf(s.origin = 'root') AS turns,
  min(s.started_at) AS first_seen,
  max(s.started_at + toIntervalMicrosecond(toInt64(s.duration_ms * 1000))) AS last_seen,
  dateDiff('millisecond', first_seen, last_seen) AS duration_ms,
  arraySort(groupUniqArray(s.service)) AS services,
  arraySort(groupUniqArray(s.agent)) AS agents,
  sum(r.input_tokens) AS input_tokens,
  sum(r.output_tokens) AS output_tokens,
  sum(r.cached_tokens) AS cached_tokens,
  sum(r.cost_usd) AS cost_usd,
  countIf(s.status = 'failure') AS failed_runs,
  countIf(s.status = 'partial') AS partial_runs,
  arraySort(groupUniqArrayIf(r.failure_code, r.failure_code != '')) AS failure_codes`;

function rollupSql(ids: string): string {
  return `SELECT ${ROLLUP}
    FROM (SELECT * FROM agent_session_index WHERE session_id IN (${ids})) AS s
    LEFT JOIN (
      SELECT run_id, input_tokens, output_tokens, cached_tokens, cost_usd, failure_code
      FROM agent_runs
      WHERE run_id IN (SELECT run_id FROM agent_session_index WHERE session_id IN (${ids}))
    ) AS r ON s.run_id = r.run_id
    GROUP BY s.session_id`;
}

/**
 * Sessions with a run in `[since, now]` (default: the last 24 hours), most
 * recently active first. Throws `InvalidQueryError` naming a bad filter.
 *
 * @example
 * const sessions = await listSessions(store.client, { since: '7d', agent: 'support' });
 */
export async function listSessions(
  client: ClickHouseClient,
  input: SessionFiltersInput = {},
): Promise<SessionRow[]> {
  const f = parseFilters(sessionFiltersSchema, input);
  // started_at is a DateTime64(9): beyond 2262 a comparison overflows, and no run starts there
  const since = Math.min((f.since ?? new Date(Date.now() - 86_400_000)).getTime(), LAST_NS_MS);
  const where = [
    'started_at >= {since:DateTime64(3)}',
    ...(f.service !== undefined ? ['service = {service:String}'] : []),
    ...(f.agent !== undefined ? ['agent = {agent:String}'] : []),
  ].join(' AND ');
  const ids = `SELECT session_id FROM agent_session_index WHERE ${where}
    GROUP BY session_id ORDER BY max(started_at) DESC, session_id LIMIT {limit:UInt32}`;
  return selectRows<SessionRow>(client, `${rollupSql(ids)} ORDER BY last_seen DESC, session_id`, {
    since: since / 1000,
    service: f.service,
    agent: f.agent,
    limit: f.limit,
  });
}

const RUN_COLUMNS = `run_id, trace_id, span_id, agent, agent_version, variant, service, environment, origin,
  parent_run_id, status, started_at, duration_ms, step_count, retry_count,
  input_tokens, output_tokens, cached_tokens, cost_usd, failure_type, failure_code, failure_step`;

/**
 * One session and its runs in start order, or `undefined` when no run
 * carries that session id. Throws `InvalidQueryError` for an id that cannot
 * be a session id.
 */
export async function getSession(
  client: ClickHouseClient,
  id: string,
): Promise<SessionDetail | undefined> {
  const { sessionId } = parseFilters(z.object({ sessionId: SESSION_ID }), { sessionId: id });
  const [session] = await selectRows<SessionRow>(client, rollupSql('{sessionId:String}'), {
    sessionId,
  });
  if (session === undefined) return undefined;
  const runs = await selectRows<RunRow>(
    client,
    `SELECT ${RUN_COLUMNS} FROM agent_runs
     WHERE run_id IN (SELECT run_id FROM agent_session_index WHERE session_id = {sessionId:String})
     ORDER BY started_at, run_id`,
    { sessionId },
  );
  return { session, runs };
}
