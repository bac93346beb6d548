/**
 * `npm run bench`: runs every bench script in its own process (chdb allows
 * one data directory per process) and prints their JSON lines. Each bench
 * measures a ratio against a baseline taken in the same run.
 * The SDK bench runs on the compiled package, as users run it; tsx's
 * keep-names wrappers would otherwise be counted against our code only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Bench {
  name: string;
  command: string;
  args: string[];
  before?: () => void;
}

const benches: Bench[] = [
  {
    name: 'sdk-overhead',
    command: process.execPath,
    args: ['packages/sdk/dist/bench/overhead.js'],
    before: () =>
      execFileSync('npm', ['run', 'build', '-w', '@agenttrace/sdk'], { stdio: 'inherit' }),
  },
  {
    name: 'exporter',
    command: 'npx',
    args: ['tsx', 'packages/clickhouse-exporter/bench/exporter.ts'],
  },
  {
    name: 'stats-query',
    command: 'npx',
    args: ['tsx', 'packages/clickhouse-exporter/bench/stats-query.ts'],
  },
];

const only = process.argv.slice(2);
for (const bench of benches) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  const script = bench.args.at(-1)!;
  if (!bench.before && !existsSync(script)) {
    console.log(JSON.stringify({ bench: bench.name, skipped: `${script} not found` }));
    continue;
  }
  bench.before?.();
  execFileSync(bench.command, bench.args, { stdio: 'inherit' });
}
