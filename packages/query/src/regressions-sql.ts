/**
 * The one SQL text of the regression test between two versions or variants
 * of an agent: `listRegressions` binds it with query parameters, the A/B
 * dashboard with Grafana variables, so both answer the same question with the
 * same tests (a pooled two-proportion z-test and the engine's
 * `mannWhitneyUTest`).
 *
 * It reads one table folded on insert, `agent_regression_run_facts` (0037,
 * partitioned by day, so `dayFilter` prunes to the days of the range): per
 * run and priced model, the run span's agent, arm, start, status and duration
 * and the steps' tokens, priced as `agent_runs` prices them. A run's rows are
 * grouped by `run_hash` (a number: no run-id join, no per-agent arrays of
 * runs); the rates, p95 and mean cost come from a GROUP BY (agent, arm) over
 * every run, the U tests from a fixed-size deterministic sample per arm
 * ({@link REGRESSION_SAMPLE_SIZE}). Steps of other instrumentations that
 * `agent_runs` attaches to a run only by reading its trace at query time are
 * not in that table, so their cost is not counted here (docs/signals.md,
 * Regressions).
 */

/**
 * SQL fragments the builder puts together. Each is SQL text, trusted: the
 * caller binds user values as query parameters or Grafana variables.
 */
export interface RegressionSqlParts {
  /** Boolean condition on run columns (`started_at`, `agent`, `environment`, …): time range, agent, environment. */
  runFilter: string;
  /**
   * Boolean condition on `day` (the Date of the run's start) that covers the
   * range, so only those partitions are read; it narrows, `runFilter` decides.
   * @default 'true' (every day)
   */
  dayFilter?: string;
  /** The arm column, `agent_version` or `variant` (or a dashboard variable that renders to one). */
  armColumn: string;
  /** String expression: the baseline arm, `''` for automatic. */
  baseline: string;
  /** String expression: the candidate arm, `''` for automatic. */
  candidate: string;
  /** Numeric expression: the significance level. */
  alpha: string;
  /** Numeric expression: the fewest runs per arm before anything is flagged. */
  minRuns: string;
  /**
   * Integer literal: about how many runs per arm the Mann–Whitney U tests
   * rank (a run is in its arm's sample when `cityHash64(run_id)` is below
   * 2^64 · sampleSize / runs); an arm of this many runs or fewer is ranked whole.
   * @default String(REGRESSION_SAMPLE_SIZE)
   */
  sampleSize?: string;
}

/**
 * Runs per arm the Mann–Whitney U tests rank by default: an arm with more is
 * tested on a uniform random sample of about this many (each run kept when
 * `cityHash64(run_id)` falls below 2^64 · 10,000 / runs: the same sample
 * every time). With 10,000 a side the one-sided test at 0.05 detects a shift
 * of about 0.04 standard deviations with 80% power (docs/signals.md,
 * Regressions); rates, p95 and mean cost are always over every run.
 */
export const REGRESSION_SAMPLE_SIZE = 10_000;

/** The columns one row of {@link regressionSql} has, in order. */
export const REGRESSION_COLUMNS = [
  'agent',
  'dimension',
  'baseline',
  'candidate',
  'metric',
  'baseline_value',
  'candidate_value',
  'change',
  'relative_change',
  'p_value',
  'significant',
  'regressed',
  'verdict',
  'baseline_runs',
  'candidate_runs',
  'alpha',
  'min_runs',
] as const;

/** Metrics the test compares, in output order. */
export const REGRESSION_METRICS = ['success_rate', 'p95_latency_ms', 'cost_per_run_usd'] as const;

/**
 * A SELECT over `source` (rows of agent_regression_run_facts with
 * `model_tokens` and `model_seen`) that adds `cost_usd`: each model's tokens
 * at its price in effect when it was first seen in the run (the last of its
 * rows in `price_list`, sorted by effective_from, not after it; none: 0), as
 * the exporter's fragments price_index_v1 and priced_cost_v1 price agent_runs.
 * One step per subquery, so each column is a name to the next step, not an
 * expression the engine analyses again wherever it is used (the price arrays
 * are constants in every expression that reads them). `model_tokens` and
 * `model_seen` hold the same models in the same sorted order: every model
 * there had a step, so sumMap keeps it. Needs `price_list` and `price_models`.
 */
function pricedRows(columns: string, source: string): string {
  return `SELECT ${columns},
                arraySum(arrayMap((i, input, output, cached) ->
                    ((toFloat64(input) - least(cached, input)) * price_list.3[i]
                    + least(cached, input) * price_list.5[i] + output * price_list.4[i]) / 1e6,
                    -- the model's price rows are first .. first + count - 1: the last in effect
                    arrayMap(p -> if(p.2 < 2, if(p.2 = 1 AND price_list.2[p.1] <= p.3, p.1, 0),
                            arrayLastIndex((e, k) -> e <= p.3 AND k >= p.1 AND k < p.1 + p.2,
                                price_list.2, arrayEnumerate(price_list.2))),
                        arrayMap((m, seen) -> (transform(m, price_models.1, price_models.2, toUInt32(0)),
                                transform(m, price_models.1, price_models.3, toUInt32(0)), seen),
                            model_tokens.1, model_seen.2)),
                    model_tokens.3, model_tokens.4, model_tokens.5)) AS cost_usd
            FROM (${source})`;
}

/**
 * One row per (agent, baseline, candidate, metric). Pairs, per agent:
 * both arms given, that pair; only the baseline, it against every other
 * arm; only the candidate, it against the version before it (by first run)
 * or the most-run other variant; neither, the newest version against the one
 * before, or every variant against the most-run one (the control).
 *
 * Tests, one-sided (the candidate is worse): success rate by a pooled
 * two-proportion z-test (the statistic of the engine's `proportionsZTest`
 * 'pooled', written out so an arm without successes still gets a p-value);
 * run duration and cost by Mann–Whitney U (`mannWhitneyUTest('greater')`) on
 * each arm's sample of at most `sampleSize` runs. A metric is
 * `significant` at `p_value < alpha`; `regressed` when also worse (lower
 * success rate, higher p95, higher mean cost) and both arms have `min_runs`;
 * `verdict` is `regressed`, `no_regression` or `too_few_runs`.
 *
 * @example
 * regressionSql({
 *   runFilter: 'started_at >= {since:DateTime64(3)}',
 *   armColumn: 'agent_version',
 *   baseline: '{baseline:String}',
 *   candidate: '{candidate:String}',
 *   alpha: '0.05',
 *   minRuns: '20',
 * });
 */
export function regressionSql(p: RegressionSqlParts): string {
  const arm = p.armColumn;
  const sampleSize = p.sampleSize ?? String(REGRESSION_SAMPLE_SIZE);
  if (!/^[1-9][0-9]{0,8}$/.test(sampleSize))
    throw new Error(
      `sampleSize must be a positive integer literal (got ${JSON.stringify(sampleSize)})`,
    );
  const none = "CAST([], 'Array(Tuple(String, String))')";
  const day = p.dayFilter ?? 'true';
  const chosen = `(chosen_baseline = '' OR chosen_candidate = ''
                OR ${arm} IN (chosen_baseline, chosen_candidate))`;
  return `WITH
    toFloat64(${p.alpha}) AS alpha,
    toUInt64(${p.minRuns}) AS min_runs,
    toString(${p.baseline}) AS chosen_baseline,
    toString(${p.candidate}) AS chosen_candidate,
    '${arm}' = 'agent_version' AS by_version,
    -- Prices as parallel arrays (model, effective_from, input, output, cached input
    -- per million tokens), as the clickhouse-exporter fragment price_list_v1 that
    -- agent_runs prices agent_run_facts with, and where each model's prices are
    -- in them: (models, first index, how many).
    (SELECT (groupArray(model), groupArray(effective_from), groupArray(input_per_mtok),
            groupArray(output_per_mtok), groupArray(cached_input_per_mtok))
        FROM (SELECT model, effective_from, input_per_mtok, output_per_mtok, cached_input_per_mtok
            FROM model_prices FINAL ORDER BY model, effective_from)) AS price_list,
    (SELECT (groupArray(model), groupArray(first), groupArray(prices))
        FROM (SELECT m.1 AS model, toUInt32(min(m.2)) AS first, toUInt32(count()) AS prices
            FROM (SELECT arrayJoin(arrayZip(price_list.1, arrayEnumerate(price_list.1))) AS m)
            GROUP BY model)) AS price_models,
    -- Rows without their run span (steps inserted apart from it and not merged
    -- yet, or past midnight): their cost by run_hash, added to their run's below.
    -- Few: most runs are one row.
    (SELECT (groupArray(run_hash), groupArray(cost))
        FROM (SELECT run_hash, sum(cost_usd) AS cost
            FROM (${pricedRows('run_hash', `SELECT run_hash, model_tokens, model_seen FROM agent_regression_run_facts WHERE (${day}) AND is_run = 0`)})
            GROUP BY run_hash)) AS spread_costs,
    -- Per arm (keyed by cityHash64(agent, arm)), the largest run_hash in its sample:
    -- each run is in it when its run_hash is below 2^64 * sample_size / runs (every
    -- run of an arm of sample_size runs or fewer), a uniform random sample of about
    -- sample_size runs, the same one every time.
    (SELECT (groupArray(key), groupArray(bound))
        FROM (SELECT cityHash64(agent, arm) AS key,
                if(runs <= ${sampleSize}, toUInt64(18446744073709551615),
                    toUInt64(${sampleSize} / runs * 18446744073709551616.0)) AS bound
            FROM (SELECT agent, ${arm} AS arm, count() AS runs
                FROM agent_regression_run_facts
                WHERE (${day}) AND is_run = 1 AND (${p.runFilter}) AND ${arm} != '' AND ${chosen}
                GROUP BY agent, arm))) AS sample_bounds,
    -- Every run of the range: its row of agent_regression_run_facts (0037) that
    -- holds the run span, with its cost and the cost of its rows without it.
    runs AS (
        SELECT run_hash, agent, arm, status, started_at, duration_ms,
            cost_usd + if(empty(spread_costs.1), 0,
                transform(run_hash, spread_costs.1, spread_costs.2, toFloat64(0))) AS cost_usd
        FROM (${pricedRows(
          'run_hash, agent, arm, status, started_at, duration_ms',
          `SELECT run_hash, agent, ${arm} AS arm, status, started_at, duration_ms, model_tokens, model_seen
            FROM agent_regression_run_facts
            WHERE (${day}) AND is_run = 1 AND (${p.runFilter}) AND ${arm} != '' AND ${chosen}`,
        )})
    ),
    -- Per arm, over all its runs: counts, first run, p95 and mean cost, and the
    -- durations and costs of its sample, which the U tests rank.
    arm_stats AS (
        SELECT agent, arm, count() AS n, countIf(status = 'success') AS successes,
            min(started_at) AS first_at, quantileExactInclusive(0.95)(duration_ms) AS p95_ms,
            avg(cost_usd) AS mean_cost,
            groupArrayIf((duration_ms, cost_usd), run_hash <= if(empty(sample_bounds.1), 0,
                transform(cityHash64(agent, arm), sample_bounds.1, sample_bounds.2, toUInt64(0)))) AS sample
        FROM runs
        GROUP BY agent, arm
    ),
    -- Per agent: its arms, in order of first run and of runs (ties by name).
    agents AS (
        SELECT agent, names, stats,
            arrayMap(x -> x.1, arraySort(x -> x.2, arrayZip(names, firsts))) AS by_time,
            arrayMap(x -> x.1, arraySort(x -> (-x.2, x.1), arrayZip(names, counts))) AS by_runs
        FROM (
            SELECT agent,
                groupArray(arm) AS names,
                groupArray(first_at) AS firsts,
                groupArray(n) AS counts,
                groupArray(tuple(n, successes, p95_ms, mean_cost, sample)) AS stats
            FROM arm_stats
            GROUP BY agent
        )
    ),
    -- The pairs compared, per agent.
    arms AS (
        SELECT agent, names, stats,
            multiIf(
                chosen_baseline != '' AND chosen_candidate != '',
                    [tuple(chosen_baseline, chosen_candidate)],
                chosen_baseline != '',
                    if(has(names, chosen_baseline),
                        arrayMap(x -> tuple(chosen_baseline, x), arrayFilter(x -> x != chosen_baseline, by_time)),
                        ${none}),
                chosen_candidate != '',
                    multiIf(NOT has(names, chosen_candidate), ${none},
                        by_version, if(indexOf(by_time, chosen_candidate) > 1,
                            [tuple(by_time[indexOf(by_time, chosen_candidate) - 1], chosen_candidate)], ${none}),
                        if(has(by_runs, chosen_candidate) AND length(by_runs) > 1,
                            [tuple(arrayFilter(x -> x != chosen_candidate, by_runs)[1], chosen_candidate)],
                            ${none})),
                by_version,
                    if(length(by_time) >= 2, [tuple(by_time[-2], by_time[-1])], ${none}),
                arrayMap(x -> tuple(by_runs[1], x), arraySlice(by_runs, 2))
            ) AS candidates
        FROM agents
    ),
    -- Each pair with both arms' figures: an arm without runs in the range is
    -- index 0, the default tuple (0 runs, empty sample).
    pairs AS (
        SELECT agent, pair.1 AS baseline, pair.2 AS candidate,
            stats[indexOf(names, pair.1)] AS b,
            stats[indexOf(names, pair.2)] AS c
        FROM arms
        ARRAY JOIN candidates AS pair
    ),
    -- The figures of each pair. Success rate: pooled two-proportion z-test,
    -- one-sided, P(Z <= z), the candidate's rate lower, written out: the engine's
    -- proportionsZTest gives NaN when an arm has no successes at all, the clearest
    -- regression there is. The runs the U tests rank, sample 0 the candidate: the
    -- test refuses an empty sample, so a pair without runs in an arm gets one
    -- placeholder run a side, and no p-value.
    figures AS (
        SELECT agent, baseline, candidate, b.1 AS baseline_runs, c.1 AS candidate_runs,
            b.1 > 0 AND c.1 > 0 AS both,
            b.2 / b.1 AS baseline_rate,
            c.2 / c.1 AS candidate_rate,
            if(b.1 > 0, b.3, nan) AS baseline_p95_ms,
            if(c.1 > 0, c.3, nan) AS candidate_p95_ms,
            if(b.1 > 0, b.4, nan) AS baseline_cost_usd,
            if(c.1 > 0, c.4, nan) AS candidate_cost_usd,
            (b.2 + c.2) / (b.1 + c.1) AS pooled,
            if(both AND pooled > 0 AND pooled < 1, 0.5 * erfc(-((candidate_rate - baseline_rate)
                / sqrt(pooled * (1 - pooled) * (1 / c.1 + 1 / b.1))) / sqrt(2)), nan) AS success_p,
            if(both, arrayConcat(arrayMap(x -> (x.1, x.2, toUInt8(0)), c.5),
                    arrayMap(x -> (x.1, x.2, toUInt8(1)), b.5)),
                [(0., 0., toUInt8(0)), (0., 0., toUInt8(1))]) AS ranked
        FROM pairs
    ),
    -- Mann-Whitney U on the samples: 'greater' tests candidate > baseline.
    tested AS (
        SELECT agent, baseline, candidate,
            any(baseline_runs) AS baseline_runs, any(candidate_runs) AS candidate_runs,
            any(baseline_rate) AS baseline_rate, any(candidate_rate) AS candidate_rate,
            any(baseline_p95_ms) AS baseline_p95_ms, any(candidate_p95_ms) AS candidate_p95_ms,
            any(baseline_cost_usd) AS baseline_cost_usd, any(candidate_cost_usd) AS candidate_cost_usd,
            any(success_p) AS success_p, any(both) AS tested_both,
            mannWhitneyUTest('greater')(run.1, run.3).2 AS latency_u_p,
            mannWhitneyUTest('greater')(run.2, run.3).2 AS cost_u_p
        FROM figures
        ARRAY JOIN ranked AS run
        GROUP BY agent, baseline, candidate
    ),
    metrics AS (
        SELECT agent, baseline, candidate, baseline_runs, candidate_runs, m.1 AS metric,
            if(isFinite(m.2), m.2, NULL) AS baseline_value,
            if(isFinite(m.3), m.3, NULL) AS candidate_value,
            if(isFinite(m.4), m.4, NULL) AS p_value,
            m.5 AS worse,
            baseline_runs >= min_runs AND candidate_runs >= min_runs AS enough
        FROM tested
        ARRAY JOIN [
            tuple('success_rate', baseline_rate, candidate_rate, success_p,
                candidate_rate < baseline_rate),
            tuple('p95_latency_ms', baseline_p95_ms, candidate_p95_ms, if(tested_both, latency_u_p, nan),
                candidate_p95_ms > baseline_p95_ms),
            tuple('cost_per_run_usd', baseline_cost_usd, candidate_cost_usd, if(tested_both, cost_u_p, nan),
                candidate_cost_usd > baseline_cost_usd)
        ] AS m
    ),
    judged AS (
        SELECT *, toUInt8(enough AND significant AND worse) AS regressed
        FROM (
            SELECT *, candidate_value - baseline_value AS change,
                toUInt8(ifNull(p_value < alpha, 0)) AS significant
            FROM metrics
        )
    )
SELECT agent, if(by_version, 'version', 'variant') AS dimension, baseline, candidate, metric,
    baseline_value, candidate_value, change,
    if(baseline_value != 0, change / baseline_value, NULL) AS relative_change,
    p_value, significant, regressed,
    multiIf(NOT enough, 'too_few_runs', regressed = 1, 'regressed', 'no_regression') AS verdict,
    baseline_runs, candidate_runs, alpha, min_runs
FROM judged
ORDER BY agent, baseline, candidate, indexOf(['${REGRESSION_METRICS.join("', '")}'], metric)`;
}
