/**
 * `agenttrace regressions` (the real binary) over a real embedded store
 * holding SDK-made runs: exit 3 when a candidate regressed, 0 when none did
 * or too few runs, 2 on bad arguments; a table for people, JSON for scripts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore, migrate } from '@agenttrace/clickhouse-exporter';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGRESSION_ARMS, writeRegressionRuns } from '../../query/test/support/regression-runs.js';

const BIN = fileURLToPath(new URL('../bin/agenttrace.js', import.meta.url));
const path = join(mkdtempSync(join(tmpdir(), 'agenttrace-cli-regressions-')), 'store');

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--path', path, 'regressions', ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  // Written by this process, then closed: the CLI opens the store itself.
  const store = createStore({ path });
  await migrate(store.client);
  await writeRegressionRuns(store, REGRESSION_ARMS);
  await store.close();
}, 120_000);

describe('agenttrace regressions', () => {
  it('exits 3 and shows the regressed metrics of a regressed candidate', async () => {
    const r = await cli('--agent', 'reg_fire');
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^AGENT\s+BASELINE\s+CANDIDATE\s+METRIC\s+.*P\s+RUNS\s+VERDICT$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s{2,}/)[3])).toEqual([
      'success_rate',
      'p95_latency_ms',
      'cost_per_run_usd',
    ]);
    for (const l of lines.slice(1, 4)) expect(l).toMatch(/30\/30\s+REGRESSED$/);
    expect(lines[1]).toMatch(/96\.7%\s+60\.0%\s+-36\.7 pt\s+0\.0003\s/);
    expect(lines.at(-1)).toBe('3 regressed (alpha 0.05, one-sided)');
  }, 120_000);

  it('exits 0 for a same-distribution candidate and for too few runs, 3 once min runs allow', async () => {
    const near = await cli('--agent', 'reg_near', '--json');
    expect(near.code, near.stderr).toBe(0);
    expect((JSON.parse(near.stdout) as { verdict: string }[]).map((r) => r.verdict)).toEqual([
      'no_regression',
      'no_regression',
      'no_regression',
    ]);
    const few = await cli('--agent', 'reg_few');
    expect(few.code, few.stderr).toBe(0);
    expect(few.stdout).toMatch(/5\/5\s+too few runs \(< 20\)\n/);
    expect((await cli('--agent', 'reg_few', '--min-runs', '5')).code).toBe(3);
  }, 180_000);

  it('exits 2 on bad arguments, naming them', async () => {
    const alpha = await cli('--alpha', '2');
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toMatch(/alpha must be a number between 0 and 1 .*\(got "2"\)/);
    const by = await cli('--by', 'model');
    expect(by.code).toBe(2);
    expect(by.stderr).toMatch(/--by <dimension>.*model/);
  }, 120_000);
});
