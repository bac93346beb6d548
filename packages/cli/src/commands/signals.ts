/**
 * `agenttrace signals`: the signals that fired (loops, retry storms, fallback
 * cascades, budget overruns, latency above p99, failure propagation) as a
 * table or `--json`. Exits with {@link SIGNALS_FIRED_EXIT_CODE} when any
 * fired, so CI and cron jobs can alert on it. Thresholds can be overridden
 * per call (`--loop-min 3 --budget-tokens 50000`).
 */
import { SIGNAL_THRESHOLDS, THRESHOLD_NAMES } from '@agenttrace/query';
import type { SignalFiltersInput, SignalRow } from '@agenttrace/query';
import type { Command } from 'commander';
import { table, type Column } from '../format/table.js';
import { print, type GlobalOptions } from '../io.js';
import { withReader } from '../reader.js';

/** Exit code when at least one signal fired (1 is an error, 2 bad input). */
export const SIGNALS_FIRED_EXIT_CODE = 3;

function value(r: SignalRow): string {
  if (r.signal === 'cost_budget') return `$${r.value.toFixed(2)} > $${r.threshold.toFixed(2)}`;
  if (r.signal === 'latency_p99') return `${r.value.toFixed(1)}x p99 > ${r.threshold}x`;
  if (r.signal === 'failure_propagated') return 'failed';
  if (r.signal === 'token_budget') return `${r.value} > ${r.threshold}`;
  return `${r.value} >= ${r.threshold}`;
}

/** Columns of a signals table; shared with the demo. */
export function signalColumns(g: GlobalOptions): Column<SignalRow>[] {
  return [
    { header: 'DETECTED (UTC)', cell: (r) => r.detected_at.slice(0, 19) },
    { header: 'SIGNAL', cell: (r) => g.paint('red', r.signal) },
    { header: 'AGENT', cell: (r) => `${r.agent}${r.agent_version ? `@${r.agent_version}` : ''}` },
    { header: 'SUBJECT', cell: (r) => r.subject || '-' },
    { header: 'VALUE', cell: value, align: 'right' },
    { header: 'RUN', cell: (r) => r.run_id || '-' },
  ];
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Adds one `--<threshold> <n>` option per signal threshold (`--loop-min`,
 * `--budget-usd`, …) to `cmd`; values are validated by the query, which
 * names the option's field when one is out of range.
 */
export function withThresholdOptions(cmd: Command): Command {
  for (const name of THRESHOLD_NAMES) {
    const spec = SIGNAL_THRESHOLDS[name];
    cmd.option(`--${kebab(name)} <n>`, `${spec.help} (default ${spec.default})`);
  }
  return cmd;
}

/** `agenttrace signals`; resolves to the exit code. */
export async function signalsCommand(
  g: GlobalOptions,
  o: Record<string, unknown>,
): Promise<number> {
  const filters: SignalFiltersInput = {
    signal: o.signal as SignalFiltersInput['signal'],
    agent: o.agent as string | undefined,
    since: o.since as string | undefined,
    limit: o.limit,
  };
  for (const name of THRESHOLD_NAMES) if (o[name] !== undefined) filters[name] = o[name] as string;
  const rows = await withReader(g, (r) => r.signals(filters));
  print(g, rows, () => (rows.length === 0 ? 'no signals fired' : table(rows, signalColumns(g))));
  return rows.length > 0 ? SIGNALS_FIRED_EXIT_CODE : 0;
}
