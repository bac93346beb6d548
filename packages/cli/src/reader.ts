/**
 * Where the read commands read from: the store directly, or the collector's
 * query API when the collector holds the embedded store (chDB locks its
 * directory to one process; the collector's address comes from the address
 * file it writes there) or `--api` says so.
 */
import {
  getRuns,
  getRunSteps,
  getSession,
  getStats,
  listFailures,
  listFeedback,
  listRuns,
  listSessions,
  listRegressions,
  listSignals,
  runReadOnlySql,
  signalQueryParams,
  type FailureRow,
  type FeedbackRow,
  type RegressionFiltersInput,
  type RegressionRow,
  type RunFiltersInput,
  type RunRow,
  type SessionDetail,
  type SessionFiltersInput,
  type SessionRow,
  type SignalFiltersInput,
  type SignalRow,
  type SqlResult,
  type StatsFiltersInput,
  type StatsRow,
  type StepRow,
} from '@agenttrace/query';
import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_EMBEDDED_PATH, EmbeddedStoreLockedError } from '@agenttrace/clickhouse-exporter';
import { findCollector } from './collector-address.js';
import { CliError, type GlobalOptions } from './io.js';
import { withStore } from './store-access.js';

/** The read operations the commands use. */
export interface Reader {
  runs(filters: RunFiltersInput): Promise<RunRow[]>;
  getRuns(id: string): Promise<RunRow[]>;
  steps(runId: string): Promise<StepRow[]>;
  stats(filters: StatsFiltersInput): Promise<StatsRow[]>;
  failures(options: { runId?: string; since?: Date; limit?: number }): Promise<FailureRow[]>;
  feedback(options: { runId?: string; limit?: number }): Promise<FeedbackRow[]>;
  sessions(filters: SessionFiltersInput): Promise<SessionRow[]>;
  /** One session and its runs; `undefined` for an unknown id. */
  session(id: string): Promise<SessionDetail | undefined>;
  signals(filters: SignalFiltersInput): Promise<SignalRow[]>;
  regressions(filters: RegressionFiltersInput): Promise<RegressionRow[]>;
  /** One read-only SELECT through the sandbox of `@agenttrace/query`. */
  sql(query: string): Promise<SqlResult>;
}

function storeReader(client: ClickHouseClient): Reader {
  return {
    runs: (f) => listRuns(client, f),
    getRuns: (id) => getRuns(client, id),
    steps: (runId) => getRunSteps(client, runId),
    stats: (f) => getStats(client, f),
    failures: (o) => listFailures(client, o),
    feedback: (o) => listFeedback(client, o),
    sessions: (f) => listSessions(client, f),
    session: (id) => getSession(client, id),
    signals: (f) => listSignals(client, f),
    regressions: (f) => listRegressions(client, f),
    sql: (q) => runReadOnlySql(client, q),
  };
}

function apiReader(base: string, token: string | undefined): Reader {
  /** GETs or POSTs `path`; resolves to the answer's `key`, or the whole answer without one. */
  const call = async <T>(path: string, key: string | undefined, init?: RequestInit): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/$/, '')}/v1${path}`, {
        ...init,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init?.headers },
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the collector at ${base}: ${(err as Error).message}`,
        'is `agenttrace collector` running? check --api',
      );
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status === 404 && key === 'runs') return [] as T;
    // an unknown session: not an error, the command says so
    if (res.status === 404 && path.startsWith('/sessions/')) return undefined as T;
    // Bad input, a refused query, a sandbox limit: the user's to fix (exit 2).
    if (res.status === 400 || res.status === 413 || res.status === 422)
      throw new CliError(String(body.message), undefined, 2);
    if (res.status === 401)
      throw new CliError(
        `the collector at ${base} refused the token`,
        'pass --token-file or set AGENTTRACE_COLLECTOR_TOKEN',
      );
    if (!res.ok)
      throw new CliError(
        `the collector at ${base} answered ${res.status}: ${typeof body.message === 'string' ? body.message : ''}`,
      );
    return (key === undefined ? body : body[key]) as T;
  };
  const qs = (o: object) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(o) as [string, string | number | Date | undefined][])
      if (v !== undefined) p.set(k, v instanceof Date ? v.toISOString() : String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  return {
    runs: (f) =>
      call('/runs' + qs({ ...f, failure_type: f.failureType, failureType: undefined }), 'runs'),
    getRuns: (id) => call(`/runs/${encodeURIComponent(id)}`, 'runs'),
    steps: (runId) => call(`/runs/${encodeURIComponent(runId)}/steps`, 'steps'),
    stats: (f) => call('/stats' + qs(f), 'stats'),
    failures: (o) =>
      o.runId
        ? call(`/runs/${encodeURIComponent(o.runId)}/failures`, 'failures')
        : call('/failures' + qs({ since: o.since, limit: o.limit }), 'failures'),
    feedback: (o) => call('/feedback' + qs({ run: o.runId, limit: o.limit }), 'feedback'),
    sessions: (f) => call('/sessions' + qs(f), 'sessions'),
    session: async (id) => {
      const found = await call<SessionDetail | undefined>(
        `/sessions/${encodeURIComponent(id)}`,
        undefined,
      );
      return found === undefined ? undefined : { session: found.session, runs: found.runs };
    },
    signals: (f) => call('/signals' + qs(signalQueryParams(f)), 'signals'),
    regressions: (f) =>
      call('/regressions' + qs({ ...f, min_runs: f.minRuns, minRuns: undefined }), 'regressions'),
    sql: async (q) => {
      const body = await call<{ rows?: unknown; truncated?: unknown }>('/sql', undefined, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: q }),
      });
      return {
        rows: Array.isArray(body.rows) ? (body.rows as Record<string, unknown>[]) : [],
        truncated: body.truncated === true,
      };
    },
  };
}

/**
 * Runs `fn` with a reader: the collector's API with `--api`; else the store,
 * falling back to the collector that holds the embedded store, found through
 * its address file (its token goes to that address only, never to whatever
 * answers on a default port).
 */
export async function withReader<T>(
  g: GlobalOptions,
  fn: (reader: Reader) => Promise<T>,
): Promise<T> {
  if (g.api) return fn(apiReader(g.api, g.token));
  try {
    return await withStore(g, (store) => fn(storeReader(store.client)));
  } catch (err) {
    const locked =
      err instanceof EmbeddedStoreLockedError ||
      (err instanceof CliError && err.cause instanceof EmbeddedStoreLockedError);
    if (!locked) throw err;
    const path = g.path ?? DEFAULT_EMBEDDED_PATH;
    const collector = await findCollector(path);
    if (collector.found) {
      g.io.err.write(
        `agenttrace: the embedded store is held by another process; reading through the collector at ${collector.url} (pid ${collector.pid})\n`,
      );
      return fn(apiReader(collector.url, g.token));
    }
    throw new CliError(
      `the embedded store at ${path} is held by another process, and ${collector.reason}`,
      'stop that process, or read through a collector with --api <url>',
    );
  }
}
