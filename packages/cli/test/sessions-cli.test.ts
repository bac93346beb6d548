/**
 * `agenttrace sessions`, `agenttrace trace --session` and the collector's
 * `/v1/sessions` routes, on a real embedded store: sessions written with a
 * session pseudonym set directly, and end to end through
 * `tracer.run({ sessionId })` and the allowlist's pseudonymizer.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { ClickHouseSpanExporter, createStore, migrate } from '@agenttrace/clickhouse-exporter';
import type { SessionDetail, SessionRow } from '@agenttrace/query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorService, type CollectorService } from '../../../collector/src/service.js';
import {
  SESSION_A,
  SESSION_B,
  writeSessions,
  type SessionFixture,
} from '../../query/test/support/session-fixture.js';

const BIN = fileURLToPath(new URL('../bin/agenttrace.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agenttrace-sessions-cli-'));
const store = join(dir, 'store');
const TOKEN = 'sessions-cli-test-token-0123456789';
const RAW_SESSION = 'conv-jane.doe@example.com-42';
let fx: SessionFixture;
const sdkRuns: string[] = [];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--path', store, ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function json<T>(...args: string[]): Promise<T> {
  const r = await cli(...args, '--json');
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const s = createStore({ path: store });
  await migrate(s.client);
  fx = await writeSessions(s);
  // end to end: the raw id through tracer.run, pseudonymized by the allowlist
  const exporter = new ClickHouseSpanExporter({ store: s, flushIntervalMs: 20 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'chat' }),
    spanProcessors: [
      new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter), {
        sessionKey: 'sessions-cli-test-key-0123456789abcdef',
      }),
    ],
  });
  const chat = new AgentTracer({ agentName: 'chat', tracerProvider: provider });
  for (let turn = 0; turn < 2; turn++)
    sdkRuns.push(await chat.run({ sessionId: RAW_SESSION }, async (run) => run.id));
  await provider.forceFlush();
  await provider.shutdown();
  await s.close();
}, 120_000);

describe('agenttrace sessions', () => {
  it('lists sessions as JSON, the SDK-made session grouped under its pseudonym', async () => {
    const sessions = await json<SessionRow[]>('sessions', '--since', '1h');
    expect(sessions).toHaveLength(3);
    const sdk = sessions.find((s) => s.agents.includes('chat'))!;
    expect(sdk).toMatchObject({ runs: 2, turns: 2, services: ['chat'] });
    expect(sdk.session_id).not.toContain('jane');
    expect(JSON.stringify(sessions)).not.toContain(RAW_SESSION);
    expect(sessions.find((s) => s.session_id === SESSION_A)).toMatchObject({
      runs: 4,
      services: ['billing', 'web'],
      failed_runs: 1,
    });
    const chatOnly = await json<SessionRow[]>('sessions', '--service', 'chat');
    expect(chatOnly.map((s) => s.session_id)).toEqual([sdk.session_id]);
    const detail = await json<SessionDetail>('trace', '--session', sdk.session_id);
    expect(detail.runs.map((r) => r.run_id)).toEqual(sdkRuns);
  }, 150_000);

  it('prints a table, and a session with its runs in order', async () => {
    const list = await cli('sessions', '--agent', 'billing');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^SESSION\s+LAST SEEN \(UTC\)\s+RUNS\s+TURNS/);
    expect(list.stdout).toContain(SESSION_A);
    expect(list.stdout).not.toContain(SESSION_B);
    const one = await cli('trace', '--session', SESSION_A);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`session ${SESSION_A}: 4 runs, 3 turns`);
    expect(one.stdout).toContain('1 failed (unavailable)');
    const positions = fx.a.map((id) => one.stdout.indexOf(id));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  }, 150_000);

  it('exits 1 for an unknown session and 2 for a bad filter, naming it', async () => {
    const unknown = await cli('trace', '--session', 'no-such-session');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no session with id no-such-session');
    const bad = await cli('sessions', '--since', 'last tuesday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/since must be a duration like 30m.*\(got "last tuesday"\)/);
    const none = await cli('trace');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('trace needs a run id, a trace id or --session <id>');
  }, 150_000);
});

describe('GET /v1/sessions', () => {
  let service: CollectorService;
  let base = '';
  const get = async (path: string) => {
    const res = await fetch(`${base}/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    service = await startCollectorService({ store: { path: store }, tokens: [TOKEN], port: 0 });
    base = `http://127.0.0.1:${service.address.port}`;
  }, 120_000);
  afterAll(async () => {
    await service?.close();
  });

  it('lists sessions and shows one with its runs', async () => {
    const list = await get('/sessions?since=1h&agent=triage');
    expect(list.status).toBe(200);
    expect((list.body.sessions as SessionRow[]).map((s) => s.session_id)).toEqual([SESSION_A]);
    const one = await get(`/sessions/${SESSION_A}`);
    expect(one.status).toBe(200);
    expect((one.body as unknown as SessionDetail).runs.map((r) => r.run_id)).toEqual(fx.a);
  });

  it('answers 404 for an unknown id and 400 naming a bad filter', async () => {
    expect(await get('/sessions/k1.unknown')).toEqual({
      status: 404,
      body: { code: 5, message: 'no session with id "k1.unknown"' },
    });
    const since = await get('/sessions?since=soon');
    expect(since.status).toBe(400);
    expect(since.body.message).toMatch(/^since must be a duration like 30m.*\(got "soon"\)$/);
    const limit = await get('/sessions?limit=0');
    expect(limit.status).toBe(400);
    expect(limit.body.message).toMatch(/^limit must be .*\(got "0"\)$/);
    const service_ = await get(`/sessions?service=${encodeURIComponent("x' OR 1=1")}`);
    expect(service_.status).toBe(400);
    expect(service_.body.message).toMatch(/^service must be a label/);
    expect((await get('/sessions/a%20b')).status).toBe(400);
  });

  it('serves the CLI with --api', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const api = ['--api', base, '--token-file', tokenFile];
    const viaApi = await json<SessionRow[]>(...api, 'sessions');
    expect(viaApi.map((s) => s.session_id)).toContain(SESSION_B);
    const detail = await json<SessionDetail>(...api, 'trace', '--session', SESSION_B);
    expect(detail.runs.map((r) => r.run_id)).toEqual(fx.b);
    const unknown = await cli(...api, 'trace', '--session', 'no-such-session');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no session with id no-such-session');
  }, 150_000);
});
