/**
 * The AgentTracer query API over the store's views: runs, one run, its steps
 * and failures, sessions, stats, signals, failures, feedback, and read-only SQL (the sandbox of
 * `@agenttrace/query`, the same one `agenttrace sql` runs) for the CLI when
 * the collector owns the embedded store. Same bearer tokens as ingest.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  getRuns,
  getRunSteps,
  getSession,
  getStats,
  InvalidQueryError,
  isEngineError,
  listFailures,
  listFeedback,
  listRegressions,
  listRuns,
  listSessions,
  listSignals,
  signalFiltersFromQuery,
  parseSince,
  runReadOnlySql,
  SINCE_EXPECTED,
  SqlLimitError,
  SqlSandboxError,
  type SqlSandboxOptions,
} from '@agenttrace/query';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { TokenVerifier } from './auth.js';

/** Largest read-only SQL text accepted, in bytes. */
export const MAX_SQL_BYTES = 64 * 1024;
/**
 * Largest `/v1/sql` body, in bytes: the query plus room for its JSON
 * envelope and escapes. Counted while the body is read, so a bigger one is
 * refused with 413 before it is buffered.
 */
export const MAX_SQL_BODY_BYTES = 2 * MAX_SQL_BYTES;

/** gRPC-style codes of the JSON error bodies, as on `/v1/traces`. */
const CODE = { invalid: 3, notFound: 5, exhausted: 8, unavailable: 14, auth: 16 } as const;

/** Engine error types that mean the store is down or overloaded: 503, not 502. */
const UNAVAILABLE_TYPES: ReadonlySet<string> = new Set([
  'NETWORK_ERROR',
  'SOCKET_TIMEOUT',
  'ALL_CONNECTION_TRIES_FAILED',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'SERVER_OVERLOADED',
]);

const sqlBodySchema = z.object({ query: z.string() });

function badRequest(c: Context, message: string) {
  return c.json({ code: CODE.invalid, message }, 400);
}

function positive(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidQueryError(`${field} must be an integer in 1..10000 (got "${value}")`);
  return n;
}

/** The query text of a `/v1/sql` body: raw SQL, or JSON `{"query": "…"}`. */
function sqlText(text: string, contentType: string | undefined): string {
  if (!contentType?.includes('json')) return text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new InvalidQueryError(
      `body must be JSON like {"query": "SELECT …"} (${(err as Error).message})`,
    );
  }
  const parsed = sqlBodySchema.safeParse(body);
  if (!parsed.success) {
    const given = (body as { query?: unknown } | null)?.query;
    throw new InvalidQueryError(
      `query must be a string (got ${given === undefined ? 'nothing' : JSON.stringify(given).slice(0, 80)})`,
    );
  }
  return parsed.data.query;
}

/**
 * Routes under `/v1` reading `client`. Bad filters and SQL the sandbox
 * refuses or the engine rejects answer 400 naming the field or what was
 * refused; a sandbox limit 422; only store failures 502/503, without
 * echoing the query.
 */
export function queryRoutes(
  client: ClickHouseClient,
  verify: TokenVerifier,
  sqlOptions: SqlSandboxOptions = {},
): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    if (!verify(c.req.header('authorization')))
      return c.json({ code: CODE.auth, message: 'missing or invalid bearer token' }, 401);
    await next();
  });
  app.onError((err, c) => {
    if (err instanceof InvalidQueryError) return badRequest(c, err.message);
    if (err instanceof SqlLimitError)
      return c.json({ code: CODE.exhausted, message: err.message, limit: err.limit }, 422);
    if (err instanceof SqlSandboxError)
      return c.json({ code: CODE.invalid, message: err.message, error: err.code }, 400);
    const message = err instanceof Error ? err.message : 'store error';
    const unavailable = isEngineError(err) && UNAVAILABLE_TYPES.has(err.type ?? '');
    return c.json(
      {
        code: CODE.unavailable,
        message: `store ${unavailable ? 'unavailable' : 'error'}: ${message.split('\n')[0]!.slice(0, 300)}`,
      },
      unavailable ? 503 : 502,
    );
  });

  app.get('/runs', async (c) => {
    const q = c.req.query();
    const limit = positive(q.limit, 'limit', 20);
    const runs = await listRuns(client, {
      agent: q.agent,
      version: q.version,
      variant: q.variant,
      status: q.status as 'success' | undefined,
      failureType: (q.failure_type ?? q.failureType) as 'tool' | undefined,
      since: q.since,
      until: q.until,
      limit,
      // validated (and coerced) by listRuns: a bad one answers 400 naming it
      offset: q.offset ?? 0,
    });
    const offset = Number(q.offset ?? 0);
    return c.json({ runs, next_offset: runs.length === limit ? offset + limit : null });
  });
  app.get('/runs/:id', async (c) => {
    const runs = await getRuns(client, c.req.param('id'));
    return runs.length === 0
      ? c.json({ code: CODE.notFound, message: 'no run or trace with that id' }, 404)
      : c.json({ runs });
  });
  app.get('/runs/:id/steps', async (c) =>
    c.json({ steps: await getRunSteps(client, c.req.param('id')) }),
  );
  app.get('/runs/:id/failures', async (c) =>
    c.json({ failures: await listFailures(client, { runId: c.req.param('id') }) }),
  );
  app.get('/sessions', async (c) => {
    const q = c.req.query();
    // validated by listSessions (zod): a bad filter answers 400 naming it
    const sessions = await listSessions(client, {
      since: q.since,
      service: q.service,
      agent: q.agent,
      limit: q.limit,
    });
    return c.json({ sessions });
  });
  app.get('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    const found = await getSession(client, id);
    return found === undefined
      ? c.json(
          {
            code: CODE.notFound,
            message: `no session with id ${JSON.stringify(id.slice(0, 256))}`,
          },
          404,
        )
      : c.json(found);
  });
  app.get('/stats', async (c) => {
    const q = c.req.query();
    return c.json({
      stats: await getStats(client, {
        by: q.by as 'agent' | undefined,
        agent: q.agent,
        since: q.since,
        until: q.until,
      }),
    });
  });
  // thresholds in snake_case (loop_min, budget_usd, …); a bad one is a 400 naming it
  app.get('/signals', async (c) =>
    c.json({ signals: await listSignals(client, signalFiltersFromQuery(c.req.query())) }),
  );
  app.get('/failures', async (c) => {
    const q = c.req.query();
    const since = q.since === undefined ? undefined : parseSince(q.since);
    if (q.since !== undefined && since === undefined)
      return badRequest(c, `since must be ${SINCE_EXPECTED} (got "${q.since}")`);
    return c.json({
      failures: await listFailures(client, { since, limit: positive(q.limit, 'limit', 100) }),
    });
  });
  app.get('/feedback', async (c) => {
    const q = c.req.query();
    return c.json({
      feedback: await listFeedback(client, {
        runId: q.run,
        limit: positive(q.limit, 'limit', 100),
      }),
    });
  });
  app.get('/regressions', async (c) => {
    const q = c.req.query();
    try {
      // validated by listRegressions (zod): a bad parameter answers 400 naming it
      const regressions = await listRegressions(client, {
        dimension: q.dimension as 'version' | undefined,
        agent: q.agent,
        baseline: q.baseline,
        candidate: q.candidate,
        since: q.since,
        until: q.until,
        alpha: q.alpha,
        minRuns: q.min_runs,
      });
      return c.json({ regressions });
    } catch (err) {
      // name the parameter as the URL spells it
      if (err instanceof InvalidQueryError)
        throw new InvalidQueryError(err.message.replace(/\bminRuns\b/g, 'min_runs'));
      throw err;
    }
  });
  app.post(
    '/sql',
    bodyLimit({
      maxSize: MAX_SQL_BODY_BYTES,
      onError: (c) =>
        c.json(
          { code: CODE.invalid, message: `body must be at most ${MAX_SQL_BODY_BYTES} bytes` },
          413,
          { connection: 'close' },
        ),
    }),
    async (c) => {
      const query = sqlText(await c.req.text(), c.req.header('content-type'));
      if (Buffer.byteLength(query) > MAX_SQL_BYTES)
        return c.json(
          { code: CODE.invalid, message: `query must be at most ${MAX_SQL_BYTES} bytes` },
          413,
        );
      if (query.trim() === '')
        return badRequest(c, 'query must be a non-empty SELECT (got an empty string)');
      const { rows, truncated } = await runReadOnlySql(client, query, sqlOptions);
      return c.json({ rows, truncated });
    },
  );
  return app;
}
