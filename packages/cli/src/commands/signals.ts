/**
 * `agenttrace signals`: the signals that fired (loops, retry storms, fallback
 * cascades, budget overruns, latency above p99, failure propagation) as a
 * table or `--json`. Exits with {@link SIGNALS_FIRED_EXIT_CODE} when any
 * fired, so CI and cron jobs can alert on it.
 */
import type { SignalFiltersInput, SignalRow } from '@agenttrace/query';
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
  const rows = await withReader(g, (r) => r.signals(filters));
  print(g, rows, () => (rows.length === 0 ? 'no signals fired' : table(rows, signalColumns(g))));
  return rows.length > 0 ? SIGNALS_FIRED_EXIT_CODE : 0;
}
