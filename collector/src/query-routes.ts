/**
 * The AgentTracer query API over the store's views: runs, one run, its steps
 * and failures, stats, failures, feedback, and read-only SQL for the CLI
 * when the collector owns the embedded store. Same bearer tokens as ingest.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  getRuns,
  getRunSteps,
  getStats,
  InvalidQueryError,
  listFailures,
  listFeedback,
  listRuns,
  parseSince,
  readonlySql,
} from '@agenttrace/query';
import { Hono, type Context } from 'hono';
import type { TokenVerifier } from './auth.js';

/** Largest read-only SQL text accepted, in bytes. */
export const MAX_SQL_BYTES = 64 * 1024;

function badRequest(c: Context, message: string) {
  return c.json({ code: 3, message }, 400);
}

function positive(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidQueryError(`${field} must be an integer in 1..10000 (got "${value}")`);
  return n;
}

/**
 * Routes under `/v1` reading `client`. Errors in filters answer 400 naming
 * the field; store errors 502 without echoing the query.
 */
export function queryRoutes(client: ClickHouseClient, verify: TokenVerifier): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    if (!verify(c.req.header('authorization')))
      return c.json({ code: 16, message: 'missing or invalid bearer token' }, 401);
    await next();
  });
  app.onError((err, c) => {
    if (err instanceof InvalidQueryError) return badRequest(c, err.message);
    const message = err instanceof Error ? err.message : 'store error';
    if (/readonly/i.test(message))
      return c.json(
        { code: 7, message: 'read-only: the query tried to write or change settings' },
        403,
      );
    return c.json(
      { code: 14, message: `store error: ${message.split('\n')[0]!.slice(0, 300)}` },
      502,
    );
  });

  app.get('/runs', async (c) => {
    const q = c.req.query();
    const limit = positive(q.limit, 'limit', 20);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    const runs = await listRuns(client, {
      agent: q.agent,
      version: q.version,
      variant: q.variant,
      status: q.status as 'success' | undefined,
      failureType: (q.failure_type ?? q.failureType) as 'tool' | undefined,
      since: q.since,
      until: q.until,
      limit,
      offset,
    });
    return c.json({ runs, next_offset: runs.length === limit ? offset + limit : null });
  });
  app.get('/runs/:id', async (c) => {
    const runs = await getRuns(client, c.req.param('id'));
    return runs.length === 0
      ? c.json({ code: 5, message: 'no run or trace with that id' }, 404)
      : c.json({ runs });
  });
  app.get('/runs/:id/steps', async (c) =>
    c.json({ steps: await getRunSteps(client, c.req.param('id')) }),
  );
  app.get('/runs/:id/failures', async (c) =>
    c.json({ failures: await listFailures(client, { runId: c.req.param('id') }) }),
  );
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
  app.get('/failures', async (c) => {
    const q = c.req.query();
    const since = q.since === undefined ? undefined : parseSince(q.since);
    if (q.since !== undefined && since === undefined)
      return badRequest(
        c,
        `since must be a duration like 30m, 24h, 7d or an ISO date (got "${q.since}")`,
      );
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
  app.post('/sql', async (c) => {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_SQL_BYTES)
      return c.json({ code: 8, message: `query must be at most ${MAX_SQL_BYTES} bytes` }, 413);
    const query = c.req.header('content-type')?.includes('json')
      ? (JSON.parse(text) as { query?: unknown }).query
      : text;
    if (typeof query !== 'string' || query.trim() === '')
      return badRequest(c, 'query must be a non-empty string (got nothing)');
    return c.json({ rows: await readonlySql(client, query) });
  });
  return app;
}
