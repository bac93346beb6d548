/**
 * `POST /v1/sql` and the query routes on a real collector service (port 0,
 * embedded store in a temp directory): the sandbox refuses what reaches
 * outside the store with 400, limits answer 422, bad input never 5xx, a
 * huge body gets 413 before it is buffered, and ingest keeps working after
 * any sequence of reads through the store's one shared session.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import { startCollectorService, type CollectorService } from '../src/service.js';
import { MAX_SQL_BODY_BYTES } from '../src/query-routes.js';
import { hexId } from './helpers.js';

const TOKEN = 'sql-route-test-token-0123456789';
let service: CollectorService;
let base = '';
let port = 0;
let outDir = '';

beforeAll(async () => {
  service = await startCollectorService({
    store: { path: join(mkdtempSync(join(tmpdir(), 'agenttrace-sql-route-')), 'store') },
    tokens: [TOKEN],
    port: 0,
  });
  port = service.address.port;
  base = `http://127.0.0.1:${port}`;
  outDir = mkdtempSync(join(tmpdir(), 'agenttrace-sql-outfile-'));
});
afterAll(async () => {
  await service.close();
});

interface Answer {
  status: number;
  body: { rows?: Record<string, unknown>[]; truncated?: boolean; message?: string };
}

async function sql(query: string, json = true): Promise<Answer> {
  const res = await fetch(`${base}/v1/sql`, {
    method: 'POST',
    body: json ? JSON.stringify({ query }) : query,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(json ? { 'content-type': 'application/json' } : {}),
    },
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function get(path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** Posts one span over OTLP/JSON and waits (bounded) until `/v1/sql` sees it stored. */
async function ingestWorks(): Promise<void> {
  const traceId = hexId(16);
  const now = BigInt(Date.now()) * 1_000_000n;
  const res = await fetch(`${base}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'sql-route' } }] },
          scopeSpans: [
            {
              scope: { name: 'sql-route-test' },
              spans: [
                {
                  traceId,
                  spanId: hexId(8),
                  name: 'ingest',
                  kind: 1,
                  startTimeUnixNano: String(now),
                  endTimeUnixNano: String(now + 1_000_000n),
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  for (let i = 0; i < 100; i++) {
    const { status, body } = await sql(
      `SELECT count() AS n FROM otel_traces WHERE TraceId = '${traceId}'`,
    );
    expect(status).toBe(200);
    if (body.rows?.[0]?.n === 1) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`span of trace ${traceId} not stored within 10 s`);
}

/**
 * Sends `total` bytes of body to `/v1/sql` in 1 MiB chunks until the server
 * answers; resolves with the status and how many bytes had been written.
 */
function hugeBody(
  total: number,
  declareLength: boolean,
): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/sql',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'text/plain',
        ...(declareLength ? { 'content-length': String(total) } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('POST /v1/sql', () => {
  it('answers a SELECT with its rows, from JSON or raw text', async () => {
    expect(await sql('SELECT a FROM (SELECT 1 AS a UNION ALL SELECT 2) ORDER BY a')).toEqual({
      status: 200,
      body: { rows: [{ a: 1 }, { a: 2 }], truncated: false },
    });
    expect((await sql('SELECT 3 AS b; -- raw', false)).body.rows).toEqual([{ b: 3 }]);
  });

  it('keeps ingest working after any sequence of reads', async () => {
    await ingestWorks();
    for (const query of [
      'SELECT count() FROM otel_traces',
      'SELECT number FROM numbers(1e6)',
      "SELECT 1 INTO OUTFILE '/nonexistent/x'",
      'SET readonly = 1',
      'SELECT 1; SELECT 2',
      "SELECT * FROM file('/etc/passwd')",
      'SELEC 1',
      'SELECT * FROM no_such_table',
      'SELECT count() FROM numbers(1e12)',
      'KILL QUERY WHERE 1',
    ]) {
      await sql(query);
      await ingestWorks();
    }
  });

  it.each([
    "SELECT 1 INTO OUTFILE '<dir>/a.txt'",
    "SELECT 1 INTO OUTFILE '<dir>/b.txt' APPEND",
    "SELECT 1 INTO OUTFILE '<dir>/c.txt' TRUNCATE",
    "SELECT 1 INTO OUTFILE '<dir>/d.gz' COMPRESSION 'gzip'",
    "SELECT 1 INTO OUTFILE '<dir>/e.gz' COMPRESSION 'gzip' LEVEL 1",
    "SELECT 1 INTO OUTFILE '<dir>/f.txt' AND STDOUT",
  ])('refuses %s with 400 and writes no file', async (template) => {
    const { status, body } = await sql(template.replaceAll('<dir>', outDir));
    expect(status).toBe(400);
    expect(body.message).toMatch(/INTO OUTFILE '.+' is refused/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it.each([
    ["SELECT * FROM file('/etc/passwd')", 'table function file() in FROM is refused'],
    ["SELECT * FROM url('http://127.0.0.1:9/', CSV)", 'table function url() in FROM'],
    ["SELECT * FROM s3('http://127.0.0.1:9/b/k')", 'table function s3() in FROM'],
    ["SELECT * FROM remote('127.0.0.1:9', system.one)", 'table function remote() in FROM'],
    ["SELECT * FROM executable('x.sh', CSV, 'a String')", 'table function executable() in FROM'],
    ["SELECT * FROM postgresql('h:1', 'd', 't', 'u', 'p')", 'table function postgresql() in FROM'],
    ["SELECT file('/etc/hostname')", 'function file() is refused'],
    ['SELECT 1; SELECT 2', 'only one statement is allowed: a second one starts at position 9'],
    ['KILL QUERY WHERE 1', 'KILL statements are refused'],
    ['SET readonly = 0', 'SET statements are refused'],
    ["INSERT INTO model_prices (provider) VALUES ('x')", 'INSERT statements are refused'],
    ['CREATE TABLE t (a Int8) ENGINE = Memory', 'CREATE statements are refused'],
    ['ALTER TABLE otel_traces DELETE WHERE 1', 'ALTER statements are refused'],
    ['DROP TABLE otel_traces', 'DROP statements are refused'],
    ['SELECT 1 FORMAT CSV', 'FORMAT CSV is refused'],
    ['SELECT 1 SETTINGS readonly = 0', 'a SETTINGS clause is refused'],
  ])('refuses %s with 400 naming it', async (query, message) => {
    const { status, body } = await sql(query);
    expect(status).toBe(400);
    expect(body.message).toContain(message);
  });

  it.each([
    ['SELEC 1', 'Syntax error: failed at position 7'],
    ['SELECT * FROM no_such_table', "Unknown table expression identifier 'no_such_table'"],
    ['SELECT nope FROM otel_traces', 'nope'],
  ])('answers an invalid query (%s) with 400', async (query, message) => {
    const { status, body } = await sql(query);
    expect(status).toBe(400);
    expect(body.message).toContain(message);
  });

  it('answers a runaway read with 422 naming the limit', async () => {
    const { status, body } = await sql('SELECT count() FROM numbers(1e12)');
    expect(status).toBe(422);
    expect(body.message).toContain('maxRowsToRead = 1000000000');
  });

  it('returns 10,000 rows of a 10M-row read, flagged truncated', async () => {
    const { status, body } = await sql('SELECT number FROM numbers(1e7)');
    expect(status).toBe(200);
    expect(body.rows).toHaveLength(10_000);
    expect(body.truncated).toBe(true);
  });

  it.each([
    ['{"query": ', 'body must be JSON like {"query": "SELECT …"}'],
    ['[1, 2]', 'query must be a string (got nothing)'],
    ['{"query": 5}', 'query must be a string (got 5)'],
    ['{"query": "  "}', 'query must be a non-empty SELECT'],
  ])('answers a malformed body %s with 400 naming the field', async (raw, message) => {
    const res = await fetch(`${base}/v1/sql`, {
      method: 'POST',
      body: raw,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(message);
  });

  it.each([true, false])(
    'answers a 200 MiB body with 413 before reading it (declared length: %s)',
    async (declareLength) => {
      const total = 200 * 1024 * 1024;
      const { status, sent } = await hugeBody(total, declareLength);
      expect(status).toBe(413);
      // the answer came long before the client could send the whole body
      expect(sent).toBeLessThan(total / 4);
      expect(sent).toBeGreaterThan(0);
      expect(MAX_SQL_BODY_BYTES).toBeLessThan(1024 * 1024);
      // the collector still answers
      expect((await sql('SELECT 1 AS ok')).body.rows).toEqual([{ ok: 1 }]);
    },
  );

  it('refuses a request without the token', async () => {
    const res = await fetch(`${base}/v1/sql`, { method: 'POST', body: 'SELECT 1' });
    expect(res.status).toBe(401);
  });
});

describe('query routes', () => {
  it.each([
    ['/v1/runs?since=9999999999d', 'since must be a duration like 30m, 24h, 7d or an ISO date'],
    ['/v1/runs?since=3000-01-01', 'since must be'],
    ['/v1/runs?until=1800-01-01', 'until must be'],
    ['/v1/runs?since=yesterday', 'since must be'],
    ['/v1/runs?offset=abc', 'offset must be'],
    ['/v1/runs?limit=0', 'limit must be an integer in 1..10000 (got "0")'],
    ['/v1/runs?status=great', 'status must be'],
    ['/v1/stats?since=99999999999w', 'since must be'],
    ['/v1/stats?by=colour', 'by must be'],
    ['/v1/failures?since=-5d', 'since must be'],
    ['/v1/failures?since=9999999999d', 'since must be'],
    ['/v1/failures?limit=x', 'limit must be'],
    ['/v1/feedback?limit=100000', 'limit must be'],
  ])('answers %s with 400 naming the field', async (path, message) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.message).toContain(message);
  });

  it('answers good filters with 200', async () => {
    expect((await get('/v1/runs?since=1900-01-01&limit=5')).status).toBe(200);
    expect((await get('/v1/stats?since=7d&by=model')).status).toBe(200);
    expect((await get('/v1/failures?since=24h')).status).toBe(200);
  });
});

describe('agenttrace sql --api', () => {
  async function cli(query: string): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io = {
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (err += t) },
      env: { NO_COLOR: '1' },
    };
    const code = await main(
      ['node', 'agenttrace', '--api', base, '--token', TOKEN, '--json', 'sql', query],
      io,
    );
    return { code, out, err };
  }

  it('prints the rows of a SELECT', async () => {
    const r = await cli('SELECT 7 AS n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ n: 7 }]);
  });
  it.each([
    ["SELECT 1 INTO OUTFILE '/tmp/agenttrace-never'", 'INTO OUTFILE'],
    ["SELECT * FROM url('http://127.0.0.1:9/', CSV)", 'table function url()'],
    ['SELECT count() FROM numbers(1e12)', 'maxRowsToRead'],
  ])('prints why %s was refused and exits 2', async (query, message) => {
    const r = await cli(query);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });
});
