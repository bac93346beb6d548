/**
 * End to end: the official OTLP protobuf exporter sends an agent's spans to
 * the collector service on port 0, which filters them, stores them in the
 * embedded engine and answers the AgentTracer query API over them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentFailureError, AgentTracer } from '@agenttrace/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorService, type CollectorService } from '../src/service.js';

const TOKEN = 'service-test-token-0123456789';
let service: CollectorService;
let base = '';
let runId = '';

const get = async (path: string, token = TOKEN) => {
  const res = await fetch(`${base}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const sql = async (query: string) => {
  const res = await fetch(`${base}/v1/sql`, {
    method: 'POST',
    body: query,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return {
    status: res.status,
    body: (await res.json()) as { rows?: Record<string, unknown>[]; message?: string },
  };
};

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met within 10 s');
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  service = await startCollectorService({
    store: { path: join(mkdtempSync(join(tmpdir(), 'agenttrace-service-')), 'store') },
    tokens: [TOKEN],
    port: 0,
  });
  base = `http://127.0.0.1:${service.address.port}`;
  // No allowlist on the client: the collector must do all the filtering.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'remote-agent',
      'user.email': 'jane@example.com',
    }),
    spanProcessors: [
      new SimpleSpanProcessor(
        new OTLPTraceExporter({
          url: `${base}/v1/traces`,
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
      ),
    ],
  });
  const tracer = new AgentTracer({
    agentName: 'remote_agent',
    agentVersion: '3.1.0',
    tracerProvider: provider,
  });
  runId = await tracer.run(async (run) => {
    run.span.setAttribute('input.value', 'Refund Jane Doe, card 4111 1111 1111 1111');
    await run.step('model', 'answer', { model: 'gpt-4o-mini', provider: 'openai' }, async (s) => {
      s.setUsage({ inputTokens: 900, outputTokens: 60 });
      s.span.setAttribute('gen_ai.output.messages', '[{"content":"Refund approved for Jane"}]');
    });
    return run.id;
  });
  await tracer
    .run(async () => {
      throw new AgentFailureError({ type: 'retrieval', code: 'empty_retrieval' });
    })
    .catch(() => undefined);
  await provider.forceFlush();
  await until(
    () => get('/v1/runs'),
    (r) => Array.isArray(r.body.runs) && (r.body.runs as unknown[]).length === 2,
  );
}, 60_000);

afterAll(async () => service?.close());

describe('collector service', () => {
  it('stores what the OTLP exporter sent and lists it at GET /v1/runs', async () => {
    const { status, body } = await get('/v1/runs?agent=remote_agent');
    expect(status).toBe(200);
    const runs = body.runs as { run_id: string; status: string; agent_version: string }[];
    expect(runs.map((r) => r.status).sort()).toEqual(['failure', 'success']);
    expect(runs.every((r) => r.agent_version === '3.1.0')).toBe(true);
    expect((await get('/v1/runs?status=failure')).body.runs).toHaveLength(1);
  });

  it('answers one run, its steps and failures, stats and failures', async () => {
    expect(((await get(`/v1/runs/${runId}`)).body.runs as unknown[]).length).toBe(1);
    const steps = (await get(`/v1/runs/${runId}/steps`)).body.steps as {
      step_type: string;
      input_tokens: number;
    }[];
    expect(steps).toEqual([expect.objectContaining({ step_type: 'model', input_tokens: 900 })]);
    expect((await get(`/v1/runs/${runId}/failures`)).body.failures).toEqual([]);
    const stats = (await get('/v1/stats?by=agent')).body.stats as {
      agent: string;
      runs: number;
      success_rate: number;
    }[];
    expect(stats).toEqual([
      expect.objectContaining({ agent: 'remote_agent', runs: 2, success_rate: 0.5 }),
    ]);
    const failures = (await get('/v1/failures')).body.failures as { failure_code: string }[];
    expect(failures.map((f) => f.failure_code)).toContain('empty_retrieval');
    expect((await get('/v1/runs/no-such-run')).status).toBe(404);
  });

  it('requires the bearer token and names bad filters', async () => {
    expect((await get('/v1/runs', '')).status).toBe(401);
    expect((await get('/v1/runs', 'wrong-token')).status).toBe(401);
    const bad = await get('/v1/runs?status=weird');
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toMatch(/status must be .*\(got "weird"\)/);
    expect((await get('/v1/runs?limit=0')).status).toBe(400);
  });

  it('answers read-only SQL and refuses writes', async () => {
    const read = await sql('SELECT count() AS n FROM agent_runs');
    expect(read).toEqual({ status: 200, body: { rows: [{ n: 2 }], truncated: false } });
    const write = await sql('DROP TABLE otel_traces');
    expect(write.status).toBe(400);
    expect(write.body.message).toContain('DROP statements are refused');
    expect((await sql('SELECT count() AS n FROM otel_traces')).status).toBe(200);
  });

  it('stored none of the content the client sent unfiltered', async () => {
    const everything = JSON.stringify((await sql('SELECT * FROM otel_traces')).body.rows);
    for (const secret of ['Jane', 'jane@', '4111 1111', 'Refund'])
      expect(everything).not.toContain(secret);
    expect(everything).toContain('remote_agent');
  });
});
