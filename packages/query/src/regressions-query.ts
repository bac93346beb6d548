/**
 * Regressions between two versions or two variants of an agent: success
 * rate, p95 latency and cost per run, each with its significance test and
 * verdict. The SQL is {@link regressionSql}, the same the A/B dashboard runs;
 * this module validates the filters and binds them as query parameters.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { parseFilters, parseSince, SINCE_EXPECTED } from './filters.js';
import {
  regressionSql,
  REGRESSION_SAMPLE_SIZE,
  type REGRESSION_METRICS,
} from './regressions-sql.js';
import { selectRows } from './select.js';

/** Significance level used when none is given. */
export const DEFAULT_REGRESSION_ALPHA = 0.05;
/** Fewest runs per arm before a regression is flagged, when none is given. */
export const DEFAULT_REGRESSION_MIN_RUNS = 20;
/** Window compared when `since` is not given: the last 7 days, as `agent_regressions`. */
export const DEFAULT_REGRESSION_WINDOW_MS = 7 * 86_400_000;
/** What runs are split by. */
export const REGRESSION_DIMENSIONS = ['version', 'variant'] as const;
/** A regression dimension. */
export type RegressionDimension = (typeof REGRESSION_DIMENSIONS)[number];

/** One metric of one (agent, baseline, candidate) comparison. */
export interface RegressionRow {
  agent: string;
  dimension: RegressionDimension;
  baseline: string;
  candidate: string;
  metric: (typeof REGRESSION_METRICS)[number];
  /** `null` when the arm has no runs. */
  baseline_value: number | null;
  candidate_value: number | null;
  /** candidate − baseline. */
  change: number | null;
  /** change / baseline, `null` when the baseline is 0. */
  relative_change: number | null;
  /** One-sided p-value (candidate worse); `null` when an arm has no runs or the test is undefined. */
  p_value: number | null;
  /** 1 when `p_value < alpha`. */
  significant: number;
  /** 1 when significant, worse, and both arms have `min_runs`. */
  regressed: number;
  verdict: 'regressed' | 'no_regression' | 'too_few_runs';
  baseline_runs: number;
  candidate_runs: number;
  alpha: number;
  min_runs: number;
}

const label = z
  .string()
  .regex(/^[A-Za-z0-9_@][A-Za-z0-9_.:/@-]{0,127}$/, 'a label of letters, digits and _.:/@-');

const time = z.string().transform((v, ctx) => {
  const date = parseSince(v);
  if (!date) ctx.addIssue({ code: 'custom', message: SINCE_EXPECTED });
  return date ?? new Date(0);
});

const ALPHA_EXPECTED = 'a number between 0 and 1 (exclusive), e.g. 0.05';
const MIN_RUNS_EXPECTED = 'an integer in 2..1000000';
const SAMPLE_SIZE_EXPECTED = 'an integer in 10..1000000';

/** Filters of {@link listRegressions}. */
export const regressionFiltersSchema = z
  .object({
    /** @default 'version' */
    dimension: z.enum(REGRESSION_DIMENSIONS).default('version'),
    agent: label.optional(),
    /** The arm compared against; automatic when omitted (see `regressionSql`). */
    baseline: label.optional(),
    /** The arm tested; automatic when omitted. */
    candidate: label.optional(),
    /** @default 7d */
    since: time.optional(),
    until: time.optional(),
    /** @default 0.05 */
    alpha: z.coerce
      .number({ error: ALPHA_EXPECTED })
      .gt(0, ALPHA_EXPECTED)
      .lt(1, ALPHA_EXPECTED)
      .default(DEFAULT_REGRESSION_ALPHA),
    /** @default 20 */
    minRuns: z.coerce
      .number({ error: MIN_RUNS_EXPECTED })
      .int(MIN_RUNS_EXPECTED)
      .min(2, MIN_RUNS_EXPECTED)
      .max(1_000_000, MIN_RUNS_EXPECTED)
      .default(DEFAULT_REGRESSION_MIN_RUNS),
    /**
     * About how many runs per arm the Mann–Whitney U tests rank (a deterministic random
     * sample of a larger arm; rates, p95 and mean cost use every run).
     * @default 10000
     */
    sampleSize: z.coerce
      .number({ error: SAMPLE_SIZE_EXPECTED })
      .int(SAMPLE_SIZE_EXPECTED)
      .min(10, SAMPLE_SIZE_EXPECTED)
      .max(1_000_000, SAMPLE_SIZE_EXPECTED)
      .default(REGRESSION_SAMPLE_SIZE),
  })
  .refine((f) => f.baseline === undefined || f.baseline !== f.candidate, {
    path: ['candidate'],
    message: 'an arm other than the baseline',
  });
/** Regression filters as given by a user (strings allowed for numbers and times). */
export type RegressionFiltersInput = z.input<typeof regressionFiltersSchema>;

/**
 * The SQL `listRegressions` runs, for a dimension (bound with its query
 * parameters), with U tests on at most `sampleSize` runs per arm.
 */
export function regressionQuerySql(
  dimension: RegressionDimension,
  agent: boolean,
  sampleSize: number = REGRESSION_SAMPLE_SIZE,
): string {
  return regressionSql({
    runFilter: [
      'started_at >= {since:DateTime64(3)}',
      'started_at < {until:DateTime64(3)}',
      ...(agent ? ['agent = {agent:String}'] : []),
    ].join(' AND '),
    // a day either side: the run's day is its start's date in the server's time zone
    dayFilter:
      'day >= toDate({since:DateTime64(3)}) - 1 AND day <= toDate({until:DateTime64(3)}) + 1',
    armColumn: dimension === 'version' ? 'agent_version' : 'variant',
    baseline: '{baseline:String}',
    candidate: '{candidate:String}',
    alpha: '{alpha:Float64}',
    minRuns: '{minRuns:UInt32}',
    sampleSize: String(sampleSize),
  });
}

/**
 * Compares versions (or variants) of each agent over `[since, until)`
 * (default: the last 7 days): one row per pair and metric. Throws
 * `InvalidQueryError` naming a bad filter.
 *
 * @example
 * const rows = await listRegressions(client, { agent: 'support', baseline: '1.0.0', candidate: '1.1.0' });
 * if (rows.some((r) => r.regressed)) process.exitCode = 3;
 */
export async function listRegressions(
  client: ClickHouseClient,
  input: RegressionFiltersInput = {},
): Promise<RegressionRow[]> {
  const f = parseFilters(regressionFiltersSchema, input);
  const until = f.until ?? new Date(Date.now() + 60_000);
  const since = f.since ?? new Date(until.getTime() - DEFAULT_REGRESSION_WINDOW_MS - 60_000);
  return selectRows<RegressionRow>(
    client,
    regressionQuerySql(f.dimension, f.agent !== undefined, f.sampleSize),
    {
      since: since.getTime() / 1000,
      until: until.getTime() / 1000,
      agent: f.agent,
      baseline: f.baseline ?? '',
      candidate: f.candidate ?? '',
      alpha: f.alpha,
      minRuns: f.minRuns,
    },
  );
}
