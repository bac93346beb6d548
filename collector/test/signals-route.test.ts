/**
 * `GET /v1/signals` on a real HTTP server (127.0.0.1, port 0) over a real
 * embedded store holding SDK-made runs: thresholds overridden per request
 * fire the near misses, bad thresholds answer 400 naming the parameter as
 * the URL spells it (never 5xx), and `agenttrace signals --api` passes its
 * `--loop-min`-style flags through.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSignalSpans } from '../../packages/clickhouse-exporter/test/fixtures/signal-runs.js';
import { createTokenVerifier } from '../src/auth.js';
import { queryRoutes } from '../src/query-routes.js';

const TOKEN = 'signals-route-test-token-0123456';
const BIN = fileURLToPath(new URL('../../packages/cli/bin/agenttrace.js', import.meta.url));
let store: Store;
let server: ServerType;
let base = '';

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-signals-route-')) });
  await migrate(store.client);
  const spans = await makeSignalSpans();
  const exporter = new ClickHouseSpanExporter({ store });
  const code = await new Promise<number>((resolve) =>
    exporter.export(spans, (r) => resolve(r.code)),
  );
  expect(code).toBe(0);
  await exporter.shutdown();
  const app = new Hono().route('/v1', queryRoutes(store.client, createTokenVerifier([TOKEN])));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store?.close();
});

interface Answer {
  status: number;
  body: { signals?: { signal: string; value: number; threshold: number }[]; message?: string };
}

async function get(query: string): Promise<Answer> {
  const res = await fetch(`${base}/v1/signals${query}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--api', base, '--token', TOKEN, 'signals', ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('GET /v1/signals', () => {
  it('fires a near miss only once its threshold is lowered', async () => {
    const near = await get('?agent=storm_near&since=1h');
    expect(near.status).toBe(200);
    expect(near.body.signals).toEqual([]);
    const lowered = await get('?agent=storm_near&since=1h&retry_storm_min=4');
    expect(lowered.body.signals).toEqual([
      expect.objectContaining({ signal: 'retry_storm', value: 4, threshold: 4 }),
    ]);
    const budget = await get('?agent=token_near&since=1h&budget_tokens=99998&signal=token_budget');
    expect(budget.body.signals).toEqual([
      expect.objectContaining({ value: 99_999, threshold: 99_998 }),
    ]);
  });

  it.each([
    ['?loop_min=0', /^loop_min must be an integer in 1\.\.1000000 \(got "0"\)/],
    ['?budget_usd=abc', /^budget_usd must be a number in 0\.\.1000000000 \(got "abc"\)/],
    ['?retry_storm_min=2.5', /^retry_storm_min must be an integer in 2\.\.1000000/],
    ['?latency_factor=-1', /^latency_factor must be a number in 1\.\.1000000 \(got "-1"\)/],
  ])('answers 400 naming the parameter for %s', async (query, message) => {
    const { status, body } = await get(query);
    expect(status).toBe(400);
    expect(body.message).toMatch(message);
  });
});

describe('agenttrace signals --api', () => {
  it('passes threshold flags through: exit 3 once lowered, 0 at the defaults, 2 when bad', async () => {
    const lowered = await cli('--agent', 'loop_near', '--loop-min', '4', '--json');
    expect(lowered.code, lowered.stderr).toBe(3);
    expect(
      (JSON.parse(lowered.stdout) as { signal: string; value: number }[]).map((r) => [
        r.signal,
        r.value,
      ]),
    ).toEqual([['loop', 4]]);
    const defaults = await cli('--agent', 'loop_near');
    expect(defaults.code, defaults.stderr).toBe(0);
    const bad = await cli('--loop-min', '0');
    expect(bad.code).not.toBe(0);
    expect(bad.code).not.toBe(3);
    expect(bad.stderr).toMatch(/loop_min must be an integer/);
    // three CLI processes, each compiling the sources with tsx
  }, 420_000);
});
