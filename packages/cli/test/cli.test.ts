/** Drives the real `agenttrace` binary against a real embedded store. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNALS } from '@agenttrace/query';

const BIN = fileURLToPath(new URL('../bin/agenttrace.js', import.meta.url));
const store = join(mkdtempSync(join(tmpdir(), 'agenttrace-cli-')), 'store');

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
  expect(r.stderr.includes('agenttrace:'), r.stderr).toBe(false);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface Run {
  run_id: string;
  trace_id: string;
  agent: string;
  status: string;
  retry_count: number;
}

let demo: {
  runs: Run[];
  trace: { run: Run; steps: { step_type: string; attempt: number }[] };
  stats: unknown[];
  signals: { signal: string }[];
};

beforeAll(async () => {
  demo = await json('demo');
}, 120_000);

describe('agenttrace CLI', () => {
  it('demo traces the example agents and shows runs, a waterfall and stats', () => {
    expect(demo.runs.length).toBeGreaterThanOrEqual(20);
    expect(new Set(demo.runs.map((r) => r.agent))).toEqual(
      new Set([
        'support_agent',
        'manager',
        'researcher',
        'analyst',
        'gateway',
        'triage',
        'ops_agent',
        'ops_helper',
      ]),
    );
    expect(demo.trace.run.retry_count).toBeGreaterThan(0);
    expect(demo.trace.steps.map((s) => s.step_type)).toContain('tool');
    expect(demo.stats.length).toBeGreaterThan(0);
  });

  it('demo shows each signal at least once, whenever in its minute it starts', () => {
    // retry_rate is a minute, detected at its start, before the demo's own start
    expect(new Set(demo.signals.map((s) => s.signal))).toEqual(new Set(SIGNALS));
  });

  it('runs filters by status, agent and limit', async () => {
    const failed = await json<Run[]>('runs', '--status', 'failure');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.status === 'failure')).toBe(true);
    const gateway = await json<Run[]>('runs', '--agent', 'gateway', '--limit', '3');
    expect(gateway.map((r) => r.agent)).toEqual(['gateway', 'gateway', 'gateway']);
    const text = await cli('runs', '--failure-type', 'retrieval');
    expect(text.stdout).toMatch(/^RUN\s+AGENT/);
    expect(text.stdout).toContain('retrieval/empty_retrieval');
  });

  it('trace shows a run by run id and by trace id', async () => {
    const { run_id, trace_id } = demo.trace.run;
    const byRun = await json<{ steps: unknown[] }[]>('trace', run_id);
    expect(byRun).toHaveLength(1);
    expect(byRun[0]!.steps.length).toBeGreaterThan(3);
    const text = await cli('trace', trace_id);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`run ${run_id}`);
    expect(text.stdout).toMatch(/tool\s+orders_api #2 .*█.*✗ tool\/unavailable/);
  });

  it('stats groups by agent, variant, model and provider', async () => {
    const byProvider = await json<{ key: string; calls: number }[]>('stats', '--by', 'provider');
    expect(byProvider.map((r) => r.key).sort()).toEqual(['anthropic', 'openai', 'x_ai']);
    const byVariant = await json<{ agent: string; key: string; runs: number }[]>(
      'stats',
      '--by',
      'variant',
      '--agent',
      'triage',
    );
    expect(byVariant.map((r) => [r.key, r.runs]).sort()).toEqual([
      ['a', 3],
      ['b', 3],
    ]);
  });

  it('failures, feedback, sql and migrate answer', async () => {
    const failures = await json<{ failure_type: string }[]>('failures');
    expect(failures.map((f) => f.failure_type)).toContain('retrieval');
    const feedback = await json<{ metric: string }[]>('feedback');
    expect(feedback).toHaveLength(6);
    expect(await json('sql', "SELECT count() AS n FROM agent_runs WHERE agent = 'triage'")).toEqual(
      [{ n: 6 }],
    );
    const migrated = await json<{ applied: unknown[] }>('migrate');
    expect(migrated.applied).toEqual([]);
  });

  it('signals lists every signal the demo provokes and exits 3; none matching exits 0', async () => {
    const r = await cli('signals', '--json');
    expect(r.code, r.stderr).toBe(3);
    const fired = JSON.parse(r.stdout) as { signal: string; agent: string; subject: string }[];
    expect(
      new Set(fired.filter((f) => f.agent === 'ops_agent').map((f) => f.signal)),
      r.stdout,
    ).toEqual(new Set(SIGNALS));
    expect(fired).toContainEqual(
      expect.objectContaining({ signal: 'loop', agent: 'ops_agent', subject: 'list_pods' }),
    );
    const table = await cli('signals', '--signal', 'retry_storm');
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/^DETECTED \(UTC\)\s+SIGNAL/);
    expect(table.stdout).toContain('restart_service');
    const none = await cli('signals', '--agent', 'support_agent', '--signal', 'loop');
    expect(none).toMatchObject({ code: 0, stdout: 'no signals fired\n' });
    const bad = await cli('signals', '--signal', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are loop, retry_storm');
  });

  it('refuses writes through sql', async () => {
    const r = await cli('sql', 'DROP TABLE otel_traces');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DROP statements are refused');
    const outfile = await cli(
      'sql',
      `SELECT 1 INTO OUTFILE '${join(tmpdir(), 'agenttrace-cli-never')}'`,
    );
    expect(outfile.code).toBe(2);
    expect(outfile.stderr).toMatch(/INTO OUTFILE '.+' is refused/);
    expect(await json('sql', 'SELECT count() > 0 AS ok FROM otel_traces')).toEqual([{ ok: 1 }]);
  });

  it('exits 2 with the allowed values for bad arguments', async () => {
    const status = await cli('runs', '--status', 'nope');
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('Allowed choices are success, failure, partial');
    const limit = await cli('runs', '--limit', '0');
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('expected a positive integer (got "0")');
    const since = await cli('runs', '--since', 'last tuesday');
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/since must be a duration like 30m.*\(got "last tuesday"\)/);
    expect((await cli('bogus')).code).toBe(2);
  });

  it('exits 1 with what to do when the store is unreachable or empty, or the run unknown', async () => {
    const unreachable = await new Promise<Result>((resolve) =>
      execFile(
        process.execPath,
        [BIN, '--url', 'http://127.0.0.1:1', 'runs'],
        (err, stdout, stderr) =>
          resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }),
      ),
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach ClickHouse at http://127.0.0.1:1');
    expect(unreachable.stderr).toContain('AGENTTRACE_CLICKHOUSE_URL');
    const empty = await new Promise<Result>((resolve) =>
      execFile(
        process.execPath,
        [BIN, '--path', join(tmpdir(), `agenttrace-empty-${process.pid}`), 'runs'],
        (err, stdout, stderr) =>
          resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }),
      ),
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('run `agenttrace migrate`, or `agenttrace demo`');
    const unknown = await cli('trace', 'no-such-run');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no run or trace with id no-such-run');
  });

  it('reads through the collector when it holds the embedded store, and with --api', async () => {
    // Tokens come from files (mode 0600), never argv, where `ps` shows them.
    const tokensFile = join(store, '..', 'tokens');
    const wrongFile = join(store, '..', 'wrong-token');
    writeFileSync(tokensFile, 'cli-test-token-123456\n', { mode: 0o600 });
    writeFileSync(wrongFile, 'wrong-token-0123456789\n', { mode: 0o600 });
    const collector = spawn(
      process.execPath,
      // Port 0: a fixed port collides with files running beside this one.
      [BIN, '--path', store, 'collector', '--port', '0', '--tokens-file', tokensFile],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      let log = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`collector did not start: ${log}`)),
          30_000,
        );
        collector.stderr.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          const m = /OTLP\/HTTP on (http:\/\/[^/]+)\/v1\/traces/.exec(log);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const viaFallback = await cli(
        'runs',
        '--agent',
        'triage',
        '--json',
        '--token-file',
        tokensFile,
      );
      expect(viaFallback.code).toBe(0);
      expect(viaFallback.stderr).toContain(`reading through the collector at ${url} (pid`);
      expect((JSON.parse(viaFallback.stdout) as Run[]).map((r) => r.agent)).toEqual(
        Array(6).fill('triage'),
      );
      const api = ['--api', url, '--token-file', tokensFile];
      const trace = await cli(...api, 'trace', demo.trace.run.run_id);
      expect(trace.code).toBe(0);
      expect(trace.stdout).toContain(`run ${demo.trace.run.run_id}`);
      expect(
        await json(...api, 'sql', "SELECT count() AS n FROM agent_runs WHERE agent = 'gateway'"),
      ).toEqual([{ n: 8 }]);
      const signals = await cli(...api, 'signals', '--signal', 'cost_budget', '--json');
      expect(signals.code, signals.stderr).toBe(3);
      expect(JSON.parse(signals.stdout)).toEqual([
        expect.objectContaining({ signal: 'cost_budget', agent: 'ops_agent', threshold: 1 }),
      ]);
      const badSince = await cli(...api, 'signals', '--since', 'soon');
      expect(badSince.code).toBe(2);
      expect(badSince.stderr).toContain('since must be a duration');
      const refused = await cli('--api', url, '--token-file', wrongFile, 'runs');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('refused the token');
    } finally {
      collector.kill('SIGTERM');
      await new Promise((resolve) => collector.once('exit', resolve));
    }
  }, 150_000);
});
