/**
 * `npm run bench`: runs every bench in its own process (chdb allows one data
 * directory per process), prints their JSON lines, then a summary of the
 * ratios. Each bench measures against a baseline taken in the same run.
 * `npm run bench -- <name> …` runs some. The SDK benches run on the compiled
 * package, as users run it: tsx's keep-names wrappers would otherwise be
 * counted against our code only.
 */
import { execFileSync } from 'node:child_process';

interface Bench {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  before?: () => void;
}

const benches: Bench[] = [
  {
    name: 'sdk-overhead',
    command: process.execPath,
    args: ['packages/sdk/dist/bench/overhead.js'],
    before: () =>
      execFileSync('npm', ['run', 'build:bench', '-w', '@agenttrace/sdk'], { stdio: 'ignore' }),
  },
  {
    // instructions per span under valgrind's callgrind: repeatable where wall time is not
    name: 'sdk-callgrind',
    command: process.execPath,
    args: ['packages/sdk/dist/bench/callgrind.js'],
    before: () =>
      execFileSync('npm', ['run', 'build:bench', '-w', '@agenttrace/sdk'], { stdio: 'ignore' }),
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
  {
    name: 'collector-ingest',
    command: 'npx',
    args: ['tsx', 'collector/bench/ingest-spool.ts'],
  },
];

const only = process.argv.slice(2);
const results: Record<string, Record<string, unknown>> = {};
for (const bench of benches) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  bench.before?.();
  const out = execFileSync(bench.command, bench.args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...bench.env },
  });
  process.stdout.write(out);
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed.bench === 'string') results[parsed.bench] = parsed;
  }
}

const exporter = results.exporter;
const ingest = results['collector-ingest'];
const exporterRate = Number(exporter?.exporterSpansPerSec ?? NaN);
const ingestRate = Number(ingest?.spansPerSecond ?? NaN);
const summary = {
  bench: 'summary',
  sdkOverheadRatio: results['sdk-overhead']?.ratio,
  sdkCallgrindRatio: results['sdk-callgrind']?.ratio,
  exporterVsRawRatio: exporter?.ratio,
  collectorEndToEndVsExporterAlone:
    Number.isFinite(exporterRate) && Number.isFinite(ingestRate)
      ? Number((ingestRate / exporterRate).toFixed(3))
      : undefined,
  collectorSpoolOnVsOff: ingest?.spoolOnVsOff,
  collectorSpoolOnVsExporterAloneSameChild: ingest?.spoolOnVsExporterAlone,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
