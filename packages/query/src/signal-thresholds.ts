/**
 * Signal thresholds: their defaults (the ones `agent_signals` uses and
 * docs/signals.md documents), their bounds, and their names in TypeScript
 * (`loopMin`), in the HTTP API (`loop_min`) and in `agent_signals_window`'s
 * SQL parameters (`loop_min`). One table, so the three cannot drift.
 */
import { z } from 'zod';

interface ThresholdSpec {
  /** Name in the HTTP API and the SQL view. */
  readonly param: string;
  /** One line for `--help`. */
  readonly help: string;
  readonly default: number;
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  /** SQL type of the view's parameter. */
  readonly sqlType: 'UInt32' | 'UInt64' | 'Float64';
}

/** Every threshold, keyed by its TypeScript name. */
export const SIGNAL_THRESHOLDS = {
  /** loop: N same-name first attempts in a row. @default 5 */
  loopMin: {
    param: 'loop_min',
    help: 'loop: same-name first attempts in a row',
    default: 5,
    integer: true,
    min: 1,
    max: 1_000_000,
    sqlType: 'UInt32',
  },
  /** retry_storm: attempt N of one step. @default 5 */
  retryStormMin: {
    param: 'retry_storm_min',
    help: 'retry_storm: attempts of one step',
    default: 5,
    integer: true,
    min: 2,
    max: 1_000_000,
    sqlType: 'UInt32',
  },
  /** retry_rate: N retried attempts in one minute. @default 10 */
  retryRateMin: {
    param: 'retry_rate_min',
    help: 'retry_rate: retried attempts in one minute',
    default: 10,
    integer: true,
    min: 1,
    max: 1_000_000_000,
    sqlType: 'UInt32',
  },
  /** fallback_cascade: N provider switches after a failed model step. @default 2 */
  fallbackMin: {
    param: 'fallback_min',
    help: 'fallback_cascade: provider switches after failures',
    default: 2,
    integer: true,
    min: 1,
    max: 1_000_000,
    sqlType: 'UInt32',
  },
  /** token_budget: input + output tokens of a run above this. @default 100_000 */
  budgetTokens: {
    param: 'budget_tokens',
    help: 'token_budget: tokens of a run above',
    default: 100_000,
    integer: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    sqlType: 'UInt64',
  },
  /** cost_budget: USD of a run above this. @default 1.0 */
  budgetUsd: {
    param: 'budget_usd',
    help: 'cost_budget: USD of a run above',
    default: 1,
    integer: false,
    min: 0,
    max: 1e9,
    sqlType: 'Float64',
  },
  /** latency_p99: a run slower than F × its agent's p99 of 7 days. @default 1.5 */
  latencyFactor: {
    param: 'latency_factor',
    help: 'latency_p99: runs slower than this x p99',
    default: 1.5,
    integer: false,
    min: 1,
    max: 1e6,
    sqlType: 'Float64',
  },
  /** latency_p99: runs an agent needs in 7 days before its p99 counts. @default 100 */
  latencyMinRuns: {
    param: 'latency_min_runs',
    help: 'latency_p99: runs an agent needs in 7 days',
    default: 100,
    integer: true,
    min: 1,
    max: 1_000_000_000,
    sqlType: 'UInt32',
  },
} as const satisfies Record<string, ThresholdSpec>;

/** A threshold's TypeScript name. */
export type SignalThresholdName = keyof typeof SIGNAL_THRESHOLDS;
/** Resolved thresholds, one number each. */
export type SignalThresholds = Record<SignalThresholdName, number>;

/** Names in the order `agent_signals_window` lists its parameters. */
export const THRESHOLD_NAMES = Object.keys(SIGNAL_THRESHOLDS) as SignalThresholdName[];

/** The defaults, as `agent_signals` applies them. */
export const DEFAULT_SIGNAL_THRESHOLDS: Readonly<SignalThresholds> = Object.freeze(
  Object.fromEntries(THRESHOLD_NAMES.map((n) => [n, SIGNAL_THRESHOLDS[n].default])),
) as SignalThresholds;

function expected(spec: ThresholdSpec): string {
  const kind = spec.integer ? 'an integer' : 'a number';
  return spec.max >= Number.MAX_SAFE_INTEGER
    ? `${kind} >= ${spec.min}`
    : `${kind} in ${spec.min}..${spec.max}`;
}

/** zod schema of one threshold: a number or numeric string within its bounds. */
export function thresholdSchema(name: SignalThresholdName) {
  const spec: ThresholdSpec = SIGNAL_THRESHOLDS[name];
  const message = expected(spec);
  return z
    .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/, message)], {
      error: message,
    })
    .transform(Number)
    .refine(
      (n) =>
        Number.isFinite(n) &&
        n >= spec.min &&
        n <= spec.max &&
        (!spec.integer || Number.isInteger(n)),
      message,
    );
}

/**
 * `name = {name:Type}` arguments of `agent_signals_window` for the
 * thresholds, bound as query parameters `t_<name>`.
 */
export function thresholdArguments(): string {
  return THRESHOLD_NAMES.map((n) => {
    const spec = SIGNAL_THRESHOLDS[n];
    return `${spec.param} = {t_${spec.param}:${spec.sqlType}}`;
  }).join(', ');
}

/** Query-parameter values for {@link thresholdArguments}. */
export function thresholdParams(t: SignalThresholds): Record<string, number> {
  return Object.fromEntries(THRESHOLD_NAMES.map((n) => [`t_${SIGNAL_THRESHOLDS[n].param}`, t[n]]));
}
