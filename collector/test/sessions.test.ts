/**
 * Pseudonymous sessions end to end, into the real engine (chDB): runs of one
 * conversation group under one HMAC pseudonym across runs, across processes
 * and through the collector (same key, same pseudonym as the SDK's); a new
 * key splits them; with no key no session is stored; and the raw ids planted
 * on every path appear in no table or view.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ClickHouseSpanExporter,
  createStore,
  migrate,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import {
  AgentTracer,
  conventions as C,
  createTracerProvider,
  SessionPseudonymizer,
} from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, CollectorError, type Collector } from '../src/index.js';

const KEY = 'sessions-test-key-0123456789abcdef-1';
const KEY_2 = 'sessions-test-key-0123456789abcdef-2';
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/session-child.ts', import.meta.url));

let store: Store;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-sessions-')) });
  await migrate(store.client);
});

afterAll(async () => {
  for (const o of open.reverse()) await o.close();
  await store.close();
});

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** `agenttrace.session.id` of each stored span of `service` that has one, per span name. */
async function sessionsOf(service: string): Promise<{ name: string; session: string }[]> {
  return rows(
    `SELECT SpanName AS name, SpanAttributes['agenttrace.session.id'] AS session
     FROM otel_traces WHERE ServiceName = {s:String} ORDER BY Timestamp, SpanName`,
    { s: service },
  );
}

/** A collector on 127.0.0.1 port 0 writing into the test store. */
async function collectorInto(options: { sessionKey?: string; pseudonymizeUserId?: boolean }) {
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 20 });
  const collector: Collector = createCollector({ exporter, exportDelayMs: 0, ...options });
  const address = await collector.listen(0, '127.0.0.1');
  open.push({ close: () => collector.close() });
  return `http://127.0.0.1:${address.port}`;
}

/** Sends raw spans, as a plain OTel SDK with no agenttrace processor would, to `url`. */
async function sendRaw(url: string, service: string, spans: Attributes[]): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  const tracer = provider.getTracer('third-party');
  for (const attributes of spans)
    tracer
      .startSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat', ...attributes } })
      .end();
  await provider.forceFlush();
  await provider.shutdown();
}

/** An SDK provider writing straight into the store, with `sessionKey`. */
function sdkInto(service: string, sessionKey: string | undefined) {
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 20 });
  const provider = createTracerProvider({
    exporter,
    serviceName: service,
    sessionKey,
    scheduledDelayMillis: 10,
  });
  open.push({ close: () => provider.shutdown() });
  return {
    tracer: new AgentTracer({ agentName: 'support', tracerProvider: provider }),
    flush: async () => {
      await provider.forceFlush();
      await exporter.forceFlush();
    },
  };
}

function runChild(url: string, service: string, sessionId: string, keyFile: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, service, sessionId], {
    env: { ...process.env, AGENTTRACE_SESSION_KEY_FILE: keyFile, AGENTTRACE_SESSION_KEY: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not finish: ${log}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`child exited ${code}: ${log}`));
    });
  });
}

/** Runs the collector's entry with `args` and resolves with its exit code and log. */
function runMain(args: string[]): Promise<{ code: number | null; log: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, AGENTTRACE_COLLECTOR_PORT: '0', AGENTTRACE_SESSION_KEY: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`collector did not exit: ${log}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

const pseudonym = (key: string, raw: string) =>
  new SessionPseudonymizer(key).pseudonym('session', raw);

describe('session key configuration', () => {
  it('refuses a short sessionKey, naming the field and never printing the key', () => {
    const exporter = new ClickHouseSpanExporter({ store });
    let error: unknown;
    try {
      createCollector({ exporter, sessionKey: 'too-short-secret' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CollectorError);
    expect((error as Error).message).toBe(
      'sessionKey must be at least 32 bytes (got a string of length 16)',
    );
  });

  it('exits at start on a --session-key-file holding a short key, naming the path only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-session-key-'));
    const keyFile = join(dir, 'short.key');
    writeFileSync(keyFile, 'short-secret-value\n', { mode: 0o600 });
    const { code, log } = await runMain(['--session-key-file', keyFile]);
    expect(code).toBe(1);
    expect(log).toContain(
      `session key file ${keyFile} must hold a key of at least 32 bytes (got 18 bytes)`,
    );
    expect(log).not.toContain('short-secret-value');
  });
});

describe('sessions', () => {
  it('groups SDK runs of one conversation, and the collector stores the same pseudonym for it', async () => {
    const raw = 'conv-grouping-7f3a';
    const sdk = sdkInto('sess-sdk', KEY);
    sdk.tracer.run({ sessionId: raw }, (run) => run.step('plan', 'decide', () => 1));
    sdk.tracer.run({ sessionId: raw }, () => 2);
    sdk.tracer.run({ sessionId: 'conv-grouping-other' }, () => 3);
    await sdk.flush();
    const url = await collectorInto({ sessionKey: KEY });
    await sendRaw(url, 'sess-collector', [
      { 'session.id': raw },
      { 'traceloop.association.properties.session_id': raw },
      { metadata: JSON.stringify({ thread_id: raw }) },
    ]);

    const expected = pseudonym(KEY, raw);
    const sdkRuns = (await sessionsOf('sess-sdk')).filter((r) => r.name.startsWith('invoke_agent'));
    expect(sdkRuns.map((r) => r.session)).toEqual([
      expected,
      expected,
      pseudonym(KEY, 'conv-grouping-other'),
    ]);
    const viaCollector = await sessionsOf('sess-collector');
    expect(viaCollector.map((r) => r.session)).toEqual([expected, expected, expected]);
  });

  it('groups runs of separate processes, sent through the SDK and the collector, under the same pseudonym', async () => {
    const raw = 'conv-processes-91c2';
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-session-key-'));
    const keyFile = join(dir, 'session.key');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    const url = await collectorInto({ sessionKey: KEY });
    await runChild(url, 'sess-process-a', raw, keyFile);
    await runChild(url, 'sess-process-b', raw, keyFile);

    const expected = pseudonym(KEY, raw);
    for (const service of ['sess-process-a', 'sess-process-b']) {
      const run = (await sessionsOf(service)).filter((r) => r.name.startsWith('invoke_agent'));
      expect(run.map((r) => r.session)).toEqual([expected]);
    }
  });

  it('splits a conversation at a key rotation: the new pseudonym does not link to the old one', async () => {
    const raw = 'conv-rotation-5d0e';
    const before = await collectorInto({ sessionKey: KEY });
    await sendRaw(before, 'sess-rotation', [{ 'gen_ai.conversation.id': raw }]);
    const after = await collectorInto({ sessionKey: KEY_2 });
    await sendRaw(after, 'sess-rotation', [{ 'gen_ai.conversation.id': raw }]);

    const sessions = (await sessionsOf('sess-rotation')).map((r) => r.session);
    expect(sessions).toEqual([pseudonym(KEY, raw), pseudonym(KEY_2, raw)]);
    expect(sessions[0]).not.toBe(sessions[1]);
    // neither key recognises the other's pseudonym
    expect(new SessionPseudonymizer(KEY_2).verifies('session', sessions[0]!)).toBe(false);
    expect(new SessionPseudonymizer(KEY).verifies('session', sessions[1]!)).toBe(false);
  });

  it('stores no session without a key, and counts the drop on the span', async () => {
    const url = await collectorInto({});
    await sendRaw(url, 'sess-nokey', [{ 'session.id': 'conv-nokey-3b8d' }]);
    const sdk = sdkInto('sess-nokey-sdk', undefined);
    sdk.tracer.run({ sessionId: 'conv-nokey-3b8d' }, () => 1);
    await sdk.flush();

    const stored = await rows<{ session: number; dropped: string; raw: number }>(
      `SELECT mapContains(SpanAttributes, 'agenttrace.session.id') AS session,
              SpanAttributes['agenttrace.privacy.dropped'] AS dropped,
              positionCaseInsensitive(toString(SpanAttributes), 'conv-nokey') > 0 AS raw
       FROM otel_traces WHERE ServiceName IN ('sess-nokey', 'sess-nokey-sdk') ORDER BY ServiceName`,
    );
    expect(stored).toEqual([
      { session: 0, dropped: '1', raw: 0 },
      { session: 0, dropped: '1', raw: 0 },
    ]);
  });

  it('publishes on /metrics how many ids became pseudonyms, and names the dropped session keys', async () => {
    const withKey = await collectorInto({ sessionKey: KEY });
    await sendRaw(withKey, 'sess-metrics', [{ 'session.id': 'conv-metrics-1' }]);
    const noKey = await collectorInto({});
    await sendRaw(noKey, 'sess-metrics', [{ 'session.id': 'conv-metrics-2' }]);

    const a = await (await fetch(`${withKey}/metrics`)).text();
    expect(a).toContain('agenttrace_collector_allowlist_pseudonymized_total 1');
    expect(a).not.toContain('allowlist_redacted_total{key="session.id"}');
    const b = await (await fetch(`${noKey}/metrics`)).text();
    expect(b).toContain('agenttrace_collector_allowlist_pseudonymized_total 0');
    expect(b).toContain('agenttrace_collector_allowlist_redacted_total{key="session.id"} 1');
    expect(a + b).not.toContain('conv-metrics');
  });

  it('keeps end-user ids out unless enabled, then stores only their pseudonym', async () => {
    const off = await collectorInto({ sessionKey: KEY });
    await sendRaw(off, 'sess-user-off', [{ 'user.id': 'user-off-6a1f' }]);
    const on = await collectorInto({ sessionKey: KEY, pseudonymizeUserId: true });
    await sendRaw(on, 'sess-user-on', [{ 'user.id': 'user-on-6a1f' }]);

    const users = await rows<{ service: string; user: string }>(
      `SELECT ServiceName AS service, SpanAttributes['${C.ATTR_USER_ID}'] AS user
       FROM otel_traces WHERE ServiceName LIKE 'sess-user-%' ORDER BY ServiceName`,
    );
    expect(users).toEqual([
      { service: 'sess-user-off', user: '' },
      {
        service: 'sess-user-on',
        user: new SessionPseudonymizer(KEY).pseudonym('user', 'user-on-6a1f'),
      },
    ]);
  });

  it('canary: raw ids planted on every path appear in no table or view', async () => {
    const canary = 'canaryconv4242';
    const email = 'canary.person@example.org';
    const sdk = sdkInto('sess-canary-sdk', KEY);
    sdk.tracer.run({ sessionId: canary, userId: email }, (run) =>
      run.step('plan', 'decide', () => 1),
    );
    sdk.tracer.run({ sessionId: email }, () => 1);
    await sdk.flush();
    const url = await collectorInto({ sessionKey: KEY, pseudonymizeUserId: true });
    await sendRaw(url, 'sess-canary-collector', [
      { 'session.id': canary, 'user.id': email },
      { 'gen_ai.conversation.id': email, 'enduser.id': email },
      { 'traceloop.association.properties.thread_id': canary },
      { 'ai.telemetry.metadata.sessionId': email },
      { metadata: JSON.stringify({ session_id: canary, user_id: email }) },
      { [C.ATTR_SESSION_ID]: email },
    ]);
    const noKey = await collectorInto({});
    await sendRaw(noKey, 'sess-canary-nokey', [{ 'session.id': canary, 'user.id': email }]);

    // the planted ids did arrive, as pseudonyms
    const stored = await rows<{ n: string }>(
      `SELECT count() AS n FROM otel_traces
       WHERE ServiceName LIKE 'sess-canary-%' AND SpanAttributes['agenttrace.session.id'] != ''`,
    );
    expect(Number(stored[0]!.n)).toBe(8);
    const tables = await rows<{ name: string; query: string }>(
      `SELECT name, create_table_query AS query FROM system.tables
       WHERE database = currentDatabase() ORDER BY name`,
    );
    const names = tables.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['otel_traces', 'agent_runs', 'agent_steps']));
    let read = 0;
    let pseudonymsSeen = 0;
    for (const { name, query } of tables) {
      // a parameterised view needs its parameters; it reads only the tables dumped here
      if (/\{[A-Za-z_]\w*:[A-Za-z]/.test(query) && /\bVIEW\b/.test(query)) continue;
      const dump = JSON.stringify(await rows(`SELECT * FROM \`${name}\``));
      for (const planted of [canary, email, 'canary.person', 'canaryconv'])
        if (dump.includes(planted)) throw new Error(`${planted} found in ${name}`);
      // the dump does hold what was stored: the pseudonym of the planted id
      if (dump.includes(pseudonym(KEY, canary))) pseudonymsSeen++;
      read++;
    }
    expect(read).toBeGreaterThan(10);
    expect(pseudonymsSeen).toBeGreaterThan(0);
    if (names.includes('agent_sessions')) {
      const sessions = await rows<{ session_id: string }>(
        `SELECT session_id FROM agent_sessions WHERE session_id IN ({a:String}, {b:String})`,
        { a: pseudonym(KEY, canary), b: pseudonym(KEY, email) },
      );
      expect(sessions).toHaveLength(2);
    }
  });
});
