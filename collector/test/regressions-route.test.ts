/**
 * `GET /v1/regressions` on a real HTTP server (127.0.0.1, port 0) over a real
 * embedded store holding SDK-made runs: the regressed candidate comes back
 * flagged, bad parameters answer 400 naming the parameter as the URL spells
 * it (never 5xx), and `agenttrace regressions --api` exits 3 / 0 / 2 through it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createStore, migrate, type Store } from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REGRESSION_ARMS,
  writeRegressionRuns,
} from '../../packages/query/test/support/regression-runs.js';
import { createTokenVerifier } from '../src/auth.js';
import { queryRoutes } from '../src/query-routes.js';

const TOKEN = 'regressions-route-test-token-0123';
const BIN = fileURLToPath(new URL('../../packages/cli/bin/agenttrace.js', import.meta.url));
let store: Store;
let server: ServerType;
let base = '';

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-regressions-route-')) });
  await migrate(store.client);
  await writeRegressionRuns(store, REGRESSION_ARMS);
  const app = new Hono().route('/v1', queryRoutes(store.client, createTokenVerifier([TOKEN])));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store?.close();
});

interface Answer {
  status: number;
  body: { regressions?: Record<string, unknown>[]; message?: string };
}

async function get(query: string, token = TOKEN): Promise<Answer> {
  const res = await fetch(`${base}/v1/regressions${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--api', base, '--token', TOKEN, 'regressions', ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('GET /v1/regressions', () => {
  it('answers the comparison of each metric, the regressed candidate flagged', async () => {
    const { status, body } = await get('?agent=reg_fire&baseline=1.0.0&candidate=2.0.0');
    expect(status).toBe(200);
    expect(body.regressions?.map((r) => [r.metric, r.regressed, r.verdict])).toEqual([
      ['success_rate', 1, 'regressed'],
      ['p95_latency_ms', 1, 'regressed'],
      ['cost_per_run_usd', 1, 'regressed'],
    ]);
  });

  it('takes alpha and min_runs per request', async () => {
    const strict = await get('?agent=reg_fire&alpha=0.0001');
    expect(strict.body.regressions?.map((r) => r.regressed)).toEqual([0, 1, 1]);
    const few = await get('?agent=reg_few&min_runs=5');
    expect(few.body.regressions?.map((r) => r.verdict)).toEqual([
      'regressed',
      'regressed',
      'regressed',
    ]);
  });

  it.each([
    ['?alpha=abc', /^alpha must be a number between 0 and 1 .*\(got "abc"\)/],
    ['?alpha=1', /^alpha must be a number between 0 and 1/],
    ['?min_runs=1', /^min_runs must be an integer in 2\.\.1000000 \(got "1"\)/],
    ['?dimension=model', /^dimension must be one of .*\(got "model"\)/],
    ['?since=soon', /^since must be a duration like 30m/],
    ['?agent=%27%3B%20DROP', /^agent must be a label/],
    ['?baseline=a&candidate=a', /^candidate must be an arm other than the baseline/],
  ])('answers 400 naming the parameter for %s', async (query, message) => {
    const { status, body } = await get(query);
    expect(status).toBe(400);
    expect(body.message).toMatch(message);
  });

  it('refuses a request without the token', async () => {
    expect((await get('', 'wrong')).status).toBe(401);
  });
});

describe('agenttrace regressions --api', () => {
  it('exits 3 on a regression, 0 without one, 2 on a bad argument', async () => {
    const fired = await cli('--agent', 'reg_fire', '--json');
    expect(fired.code, fired.stderr).toBe(3);
    expect((JSON.parse(fired.stdout) as { regressed: number }[]).map((r) => r.regressed)).toEqual([
      1, 1, 1,
    ]);
    const near = await cli('--agent', 'reg_near');
    expect(near.code, near.stderr).toBe(0);
    expect(near.stdout).toMatch(/reg_near\s+1\.0\.0\s+2\.0\.0\s+success_rate .* ok\n/);
    expect(near.stdout).toMatch(/0 regressed \(alpha 0\.05, one-sided\)/);
    const bad = await cli('--min-runs', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/min_runs must be an integer/);
  }, 120_000);
});
