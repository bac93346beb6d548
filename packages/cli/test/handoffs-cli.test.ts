/**
 * `agenttrace trace` shows the workflow a run ran in and its handoffs
 * (`handoff support → billing`), reading the store directly and through the
 * collector's query API. The spans are the SDK's, through the allowlist and
 * the exporter into a real embedded store.
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
import { AgentTracer, AllowlistSpanProcessor, type RunRef } from '@agenttrace/sdk';
import { ClickHouseSpanExporter, createStore, migrate } from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorService, type CollectorService } from '../../../collector/src/service.js';

const BIN = fileURLToPath(new URL('../bin/agenttrace.js', import.meta.url));
const store = join(mkdtempSync(join(tmpdir(), 'agenttrace-handoffs-cli-')), 'store');
const TOKEN = 'handoffs-cli-test-token-0123456789';
let support: RunRef;
let billingRunId = '';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const s = createStore({ path: store });
  await migrate(s.client);
  const exporter = new ClickHouseSpanExporter({ store: s, flushIntervalMs: 20 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'helpdesk' }),
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  const supportAgent = new AgentTracer({ agentName: 'support', tracerProvider: provider });
  const billing = new AgentTracer({ agentName: 'billing', tracerProvider: provider });
  support = await supportAgent.workflow('support_pipeline', () =>
    supportAgent.run(async (run) => {
      await run.step('plan', 'route', async () => undefined);
      await run.handoff('billing', () =>
        billing.run(async (b) => {
          billingRunId = b.id;
          await b.step('tool', 'lookup_invoice', async () => undefined);
        }),
      );
      return run.ref;
    }),
  );
  await provider.forceFlush();
  await provider.shutdown();
  await s.close();
}, 120_000);

function expectWaterfall(stdout: string): void {
  expect(stdout).toContain(`run ${support.runId}`);
  expect(stdout).toContain('workflow support_pipeline');
  expect(stdout).toMatch(/tool {5}handoff support → billing/);
  // the run billing started, nested in the same trace, with its own step
  expect(stdout).toContain(`run ${billingRunId}`);
  expect(stdout).toContain('lookup_invoice');
}

describe('agenttrace trace: workflows and handoffs', () => {
  it('shows the workflow and the handoff, from the store', async () => {
    const r = await cli('--path', store, 'trace', support.traceId);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWaterfall(r.stdout);
  });

  it('carries the handoff in the steps of --json', async () => {
    const r = await cli('--path', store, 'trace', support.runId, '--json');
    expect(r.code).toBe(0);
    const [found] = JSON.parse(r.stdout) as {
      workflow?: string;
      steps: { step_name: string; transfer_target: string; transfer_mode: string }[];
    }[];
    expect(found?.workflow).toBe('support_pipeline');
    expect(found?.steps.map((s) => [s.step_name, s.transfer_target, s.transfer_mode])).toEqual([
      ['route', '', ''],
      ['handoff', 'billing', 'pass_control'],
    ]);
  });

  describe('through the collector', () => {
    let service: CollectorService;
    beforeAll(async () => {
      service = await startCollectorService({ store: { path: store }, tokens: [TOKEN], port: 0 });
    }, 120_000);
    afterAll(async () => {
      await service?.close();
    });

    it('shows the same workflow and handoff', async () => {
      const api = `http://127.0.0.1:${service.address.port}`;
      const tokenFile = join(store, '..', 'token');
      writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
      const r = await cli('--api', api, '--token-file', tokenFile, 'trace', support.traceId);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expectWaterfall(r.stdout);
    });
  });
});
