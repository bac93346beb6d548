/**
 * Signals (loops, retry storms, fallback cascades, budget overruns, latency
 * above p99, failure propagation) over a time range, from the
 * `agent_signals_window` view with thresholds given per query (defaults:
 * `signal-thresholds.ts`, docs/signals.md). The range is passed into the
 * view, so only the days it covers are read.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { parseFilters, parseSince, SINCE_EXPECTED } from './filters.js';
import { selectRows } from './select.js';
import {
  DEFAULT_SIGNAL_THRESHOLDS,
  SIGNAL_THRESHOLDS,
  THRESHOLD_NAMES,
  thresholdArguments,
  thresholdParams,
  thresholdSchema,
} from './signal-thresholds.js';
import type { SignalThresholdName, SignalThresholds } from './signal-thresholds.js';

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

const thresholdFields = Object.fromEntries(
  THRESHOLD_NAMES.map((n) => [n, thresholdSchema(n).optional()]),
) as { [K in SignalThresholdName]: z.ZodOptional<ReturnType<typeof thresholdSchema>> };

/**
 * Filters of {@link listSignals}, and the thresholds (`loopMin`,
 * `budgetTokens`, …; each defaults to {@link DEFAULT_SIGNAL_THRESHOLDS}).
 */
export const signalFiltersSchema = z.object({
  ...thresholdFields,
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
 * The filters as HTTP query parameters of `GET /v1/signals`: the same
 * names, thresholds in snake_case (`loop_min`, `budget_usd`, …).
 */
export function signalQueryParams(f: SignalFiltersInput): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    signal: f.signal,
    agent: f.agent,
    since: f.since,
    until: f.until,
    limit: typeof f.limit === 'number' || typeof f.limit === 'string' ? String(f.limit) : undefined,
  };
  for (const n of THRESHOLD_NAMES) {
    const v = f[n];
    if (v !== undefined) out[SIGNAL_THRESHOLDS[n].param] = String(v);
  }
  return out;
}

/**
 * Parses `GET /v1/signals` query parameters (thresholds in snake_case) into
 * filters; throws `InvalidQueryError` naming the parameter as given
 * (`loop_min must be an integer in 1..1000000 (got "0")`).
 */
export function signalFiltersFromQuery(query: Record<string, string>): SignalFiltersInput {
  const shape = Object.fromEntries(
    THRESHOLD_NAMES.map((n) => [SIGNAL_THRESHOLDS[n].param, thresholdSchema(n).optional()]),
  );
  const params = parseFilters(z.object(shape), query) as Record<string, number | undefined>;
  const out: SignalFiltersInput = {
    signal: query.signal as SignalFiltersInput['signal'],
    agent: query.agent,
    since: query.since,
    until: query.until,
    limit: query.limit,
  };
  for (const n of THRESHOLD_NAMES) out[n] = params[SIGNAL_THRESHOLDS[n].param];
  return out;
}

/**
 * Firing signals detected in `[since, until)` (default: the last 24 hours),
 * newest first, with the default thresholds unless overridden. Throws
 * `InvalidQueryError` naming a bad filter.
 *
 * @example
 * const fired = await listSignals(store.client, { since: '1h', signal: 'loop', loopMin: 3 });
 * if (fired.length > 0) process.exitCode = 1;
 */
export async function listSignals(
  client: ClickHouseClient,
  input: SignalFiltersInput = {},
): Promise<SignalRow[]> {
  const f = parseFilters(signalFiltersSchema, input);
  const until = f.until ?? new Date(Date.now() + 60_000);
  const since = f.since ?? new Date(until.getTime() - 86_400_000 - 60_000);
  const thresholds = Object.fromEntries(
    THRESHOLD_NAMES.map((n) => [n, f[n] ?? DEFAULT_SIGNAL_THRESHOLDS[n]]),
  ) as SignalThresholds;
  const conditions = [
    ...(f.signal !== undefined ? ['signal = {signal:String}'] : []),
    ...(f.agent !== undefined ? ['agent = {agent:String}'] : []),
  ];
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  return selectRows<SignalRow>(
    client,
    `SELECT signal, level, run_id, agent, agent_version, variant, service, environment, subject,
      value, threshold, detected_at
    FROM agent_signals_window(since = {since:DateTime64(3)}, until = {until:DateTime64(3)},
      ${thresholdArguments()})
    ${where}
    ORDER BY detected_at DESC, signal, agent, run_id, subject
    LIMIT {limit:UInt32}`,
    {
      since: since.getTime() / 1000,
      until: until.getTime() / 1000,
      signal: f.signal,
      agent: f.agent,
      limit: f.limit,
      ...thresholdParams(thresholds),
    },
  );
}
