/**
 * `agenttrace regressions`: versions (or variants) of each agent compared on
 * success rate, p95 latency and cost per run, each with its significance
 * test, as a table or `--json`. Exits with {@link REGRESSION_FOUND_EXIT_CODE}
 * when a significant regression is found, so a CI step can gate a rollout.
 */
import type { RegressionFiltersInput, RegressionRow } from '@agenttrace/query';
import { Option, type Command } from 'commander';
import { table, type Column } from '../format/table.js';
import { print, type GlobalOptions } from '../io.js';
import { withReader } from '../reader.js';

/** Exit code when a regression is found (as `agenttrace signals`; 1 is an error, 2 bad input). */
export const REGRESSION_FOUND_EXIT_CODE = 3;

function shown(r: RegressionRow, v: number | null): string {
  if (v === null) return '-';
  if (r.metric === 'success_rate') return `${(v * 100).toFixed(1)}%`;
  if (r.metric === 'p95_latency_ms') return `${v.toFixed(0)} ms`;
  return `$${v.toFixed(4)}`;
}

function change(r: RegressionRow): string {
  if (r.change === null) return '-';
  const sign = r.change > 0 ? '+' : '';
  if (r.metric === 'success_rate') return `${sign}${(r.change * 100).toFixed(1)} pt`;
  return r.relative_change === null
    ? `${sign}${shown(r, r.change)}`
    : `${sign}${(r.relative_change * 100).toFixed(0)}%`;
}

function pValue(p: number | null): string {
  if (p === null) return '-';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

/** Columns of a regressions table. */
export function regressionColumns(g: GlobalOptions): Column<RegressionRow>[] {
  return [
    { header: 'AGENT', cell: (r) => r.agent },
    { header: 'BASELINE', cell: (r) => r.baseline },
    { header: 'CANDIDATE', cell: (r) => r.candidate },
    { header: 'METRIC', cell: (r) => r.metric },
    { header: 'BASELINE', cell: (r) => shown(r, r.baseline_value), align: 'right' },
    { header: 'CANDIDATE', cell: (r) => shown(r, r.candidate_value), align: 'right' },
    { header: 'CHANGE', cell: change, align: 'right' },
    { header: 'P', cell: (r) => pValue(r.p_value), align: 'right' },
    { header: 'RUNS', cell: (r) => `${r.baseline_runs}/${r.candidate_runs}`, align: 'right' },
    {
      header: 'VERDICT',
      cell: (r) =>
        r.verdict === 'regressed'
          ? g.paint('red', 'REGRESSED')
          : r.verdict === 'too_few_runs'
            ? `too few runs (< ${r.min_runs})`
            : 'ok',
    },
  ];
}

/** Adds the `regressions` options to `command`. */
export function withRegressionOptions(command: Command): Command {
  return command
    .option('--agent <name>')
    .addOption(
      new Option('--by <dimension>', 'compare versions or variants')
        .choices(['version', 'variant'])
        .default('version'),
    )
    .option('--baseline <arm>', 'version or variant compared against (default: automatic)')
    .option('--candidate <arm>', 'version or variant tested (default: automatic)')
    .option('--since <when>', 'e.g. 24h, 7d or an ISO date (default 7d)')
    .option('--until <when>')
    .option('--alpha <p>', 'significance level (default 0.05)')
    .option('--min-runs <n>', 'fewest runs per arm before flagging (default 20)');
}

/** `agenttrace regressions`; resolves to the exit code. */
export async function regressionsCommand(
  g: GlobalOptions,
  o: Record<string, unknown>,
): Promise<number> {
  const filters: RegressionFiltersInput = {
    dimension: o.by as RegressionFiltersInput['dimension'],
    agent: o.agent as string | undefined,
    baseline: o.baseline as string | undefined,
    candidate: o.candidate as string | undefined,
    since: o.since as string | undefined,
    until: o.until as string | undefined,
    alpha: o.alpha,
    minRuns: o.minRuns,
  };
  const rows = await withReader(g, (r) => r.regressions(filters));
  print(g, rows, () =>
    rows.length === 0
      ? 'no versions or variants to compare'
      : `${table(rows, regressionColumns(g))}\n${rows.filter((r) => r.regressed === 1).length} regressed (alpha ${rows[0]!.alpha}, one-sided)`,
  );
  return rows.some((r) => r.regressed === 1) ? REGRESSION_FOUND_EXIT_CODE : 0;
}
