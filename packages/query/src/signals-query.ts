/**
 * Signals: the rows of the `agent_signals` view (loops, retry storms,
 * fallback cascades, budget overruns, latency above p99, failure
 * propagation) over a time range. Rules and default thresholds are in the
 * view and in docs/signals.md; this module only filters and pages them.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { parseFilters, parseSince, SINCE_EXPECTED } from './filters.js';
import { selectRows } from './select.js';

/** Every signal `agent_signals` can emit. */
export const SIGNALS = [
  'loop',
  'retry_storm',
  'retry_rate',
  'fallback_cascade',
  'token_budget',
  'cost_budget',
  'latency_p99',
  'failure_propagated',
] as const;
/** A signal name. */
export type SignalName = (typeof SIGNALS)[number];

/** One firing signal. `run_id` is '' for agent-level signals (`retry_rate`). */
export interface SignalRow {
  signal: SignalName;
  level: 'run' | 'agent';
  run_id: string;
  agent: string;
  agent_version: string;
  variant: string;
  service: string;
  environment: string;
  /** What fired: a step name, providers in order, a child run id, or ''. */
  subject: string;
  value: number;
  threshold: number;
  detected_at: string;
}

const time = z.string().transform((v, ctx) => {
  const date = parseSince(v);
  if (!date) ctx.addIssue({ code: 'custom', message: SINCE_EXPECTED });
  return date ?? new Date(0);
});

/** Filters of {@link listSignals}. */
export const signalFiltersSchema = z.object({
  signal: z.enum(SIGNALS).optional(),
  agent: z
    .string()
    .regex(/^[A-Za-z0-9_@][A-Za-z0-9_.:/@-]{0,127}$/, 'a label of letters, digits and _.:/@-')
    .optional(),
  /** @default 24h */
  since: time.optional(),
  until: time.optional(),
  /** @default 100 */
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
/** Signal filters as given by a user (strings allowed for numbers and times). */
export type SignalFiltersInput = z.input<typeof signalFiltersSchema>;

/**
 * Firing signals detected in `[since, until)` (default: the last 24 hours),
 * newest first. Throws `InvalidQueryError` naming a bad filter.
 *
 * @example
 * const fired = await listSignals(store.client, { since: '1h', signal: 'loop' });
 * if (fired.length > 0) process.exitCode = 1;
 */
export async function listSignals(
  client: ClickHouseClient,
  input: SignalFiltersInput = {},
): Promise<SignalRow[]> {
  const f = parseFilters(signalFiltersSchema, input);
  const until = f.until ?? new Date(Date.now() + 60_000);
  const since = f.since ?? new Date(until.getTime() - 86_400_000 - 60_000);
  const where = [
    'detected_at >= {since:DateTime64(3)}',
    'detected_at < {until:DateTime64(3)}',
    ...(f.signal !== undefined ? ['signal = {signal:String}'] : []),
    ...(f.agent !== undefined ? ['agent = {agent:String}'] : []),
  ].join(' AND ');
  return selectRows<SignalRow>(
    client,
    `SELECT signal, level, run_id, agent, agent_version, variant, service, environment, subject,
      value, threshold, detected_at
    FROM agent_signals WHERE ${where}
    ORDER BY detected_at DESC, signal, agent, run_id, subject
    LIMIT {limit:UInt32}`,
    {
      since: since.getTime() / 1000,
      until: until.getTime() / 1000,
      signal: f.signal,
      agent: f.agent,
      limit: f.limit,
    },
  );
}
