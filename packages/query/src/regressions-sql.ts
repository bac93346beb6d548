/**
 * The one SQL text of the regression test between two versions or variants
 * of an agent: `listRegressions` binds it with query parameters, the A/B
 * dashboard with Grafana variables, so both answer the same question with the
 * same tests as the `agent_regressions` view (a pooled two-proportion z-test
 * and the engine's `mannWhitneyUTest`).
 *
 * It reads folded per-run rows only, never the spans or the `agent_runs`
 * rollup: the runs (agent, arm, start, status, duration) from the run span's
 * row of `agent_signal_run_facts` (0023, partitioned by day, so `dayFilter`
 * prunes to the days of the range), their cost from `agent_run_facts` (0005,
 * keyed by run id) priced as `agent_runs` prices it. Steps of other
 * instrumentations that `agent_runs` attaches to a run only by reading its
 * trace at query time are not in those tables, so their cost is not counted
 * here (docs/signals.md, Regressions). Each agent's runs become one array,
 * and the pairs and tests are computed on it.
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
}

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
 * One row per (agent, baseline, candidate, metric). Pairs, per agent:
 * both arms given, that pair; only the baseline, it against every other
 * arm; only the candidate, it against the version before it (by first run)
 * or the most-run other variant; neither, the newest version against the one
 * before, or every variant against the most-run one (the control).
 *
 * Tests, one-sided (the candidate is worse): success rate by a pooled
 * two-proportion z-test (the statistic of the engine's `proportionsZTest`
 * 'pooled', written out so an arm without successes still gets a p-value);
 * run duration and cost by Mann–Whitney U (`mannWhitneyUTest('greater')`). A metric is
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
  const none = "CAST([], 'Array(Tuple(String, String))')";
  const mannWhitney = (values: string) =>
    `arrayReduce('mannWhitneyUTest(''greater'')', ${values}, samples).2`;
  return `WITH
    toFloat64(${p.alpha}) AS alpha,
    toUInt64(${p.minRuns}) AS min_runs,
    toString(${p.baseline}) AS chosen_baseline,
    toString(${p.candidate}) AS chosen_candidate,
    '${arm}' = 'agent_version' AS by_version,
    -- Prices as parallel arrays (model, effective_from, input, output, cached input
    -- per million tokens), as the clickhouse-exporter fragment price_list_v1 that
    -- agent_runs prices agent_run_facts with.
    (SELECT (groupArray(model), groupArray(effective_from), groupArray(input_per_mtok),
            groupArray(output_per_mtok), groupArray(cached_input_per_mtok))
        FROM (SELECT model, effective_from, input_per_mtok, output_per_mtok, cached_input_per_mtok
            FROM model_prices FINAL ORDER BY model, effective_from)) AS price_list,
    -- The runs in the range, from the run span's row of agent_signal_run_facts
    -- (partitioned by day: the day filter reads only the days of the range).
    picked AS (
        SELECT run_id, agent, ${arm}, started_at, status, duration_ms
        FROM agent_signal_run_facts
        WHERE (${p.dayFilter ?? 'true'}) AND is_run = 1 AND (${p.runFilter}) AND ${arm} != ''
            AND (chosen_baseline = '' OR chosen_candidate = ''
                OR ${arm} IN (chosen_baseline, chosen_candidate))
        LIMIT 1 BY run_id
    ),
    -- Their cost: each folded (run, model) row of agent_run_facts priced at the
    -- price in effect when it was seen, as agent_runs does (price_index_v1,
    -- priced_cost_v1), read by run id (the table's key).
    costs AS (
        SELECT run_id, sum(if(i = 0, 0, ((toFloat64(input_tokens) - least(cached_tokens, input_tokens))
                * price_list.3[i] + least(cached_tokens, input_tokens) * price_list.5[i]
                + output_tokens * price_list.4[i]) / 1e6)) AS cost_usd
        FROM (
            SELECT run_id, input_tokens, output_tokens, cached_tokens,
                if(model = '', 0, arrayLastIndex((pm, pe) -> pm = model AND pe <= seen_at,
                    price_list.1, price_list.2)) AS i
            FROM agent_run_facts
            WHERE run_id IN (SELECT run_id FROM picked)
        )
        GROUP BY run_id
    ),
    -- One pass over the runs: each agent's runs in the range as one array.
    by_agent AS (
        SELECT agent,
            groupArray(tuple(${arm}, started_at, status = 'success', toFloat64(duration_ms),
                toFloat64(cost_usd))) AS rs
        FROM picked LEFT JOIN costs USING (run_id)
        GROUP BY agent
    ),
    arms AS (
        SELECT agent, rs,
            arrayDistinct(arrayMap(x -> x.1, rs)) AS names,
            arrayMap(a -> arrayMin(arrayMap(x -> x.2, arrayFilter(x -> x.1 = a, rs))), names) AS firsts,
            arrayMap(a -> arrayCount(x -> x.1 = a, rs), names) AS counts,
            arrayMap(x -> x.1, arraySort(x -> x.2, arrayZip(names, firsts))) AS by_time,
            arrayMap(x -> x.1, arraySort(x -> (-x.2, x.1), arrayZip(names, counts))) AS by_runs,
            arrayFilter(x -> x != chosen_candidate, by_runs) AS others,
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
                        if(length(others) > 0, [tuple(others[1], chosen_candidate)], ${none})),
                by_version,
                    if(length(by_time) >= 2, [tuple(by_time[-2], by_time[-1])], ${none}),
                arrayMap(x -> tuple(by_runs[1], x), arraySlice(by_runs, 2))
            ) AS candidates
        FROM by_agent
    ),
    tested AS (
        SELECT agent, pair.1 AS baseline, pair.2 AS candidate,
            arrayFilter(x -> x.1 = baseline, rs) AS b,
            arrayFilter(x -> x.1 = candidate, rs) AS c,
            length(b) AS baseline_runs,
            length(c) AS candidate_runs,
            baseline_runs > 0 AND candidate_runs > 0 AS both,
            arrayCount(x -> x.3, b) / baseline_runs AS baseline_rate,
            arrayCount(x -> x.3, c) / candidate_runs AS candidate_rate,
            arrayMap(x -> x.4, b) AS b_ms,
            arrayMap(x -> x.4, c) AS c_ms,
            arrayMap(x -> x.5, b) AS b_cost,
            arrayMap(x -> x.5, c) AS c_cost,
            if(baseline_runs > 0, arrayReduce('quantile(0.95)', b_ms), nan) AS baseline_p95_ms,
            if(candidate_runs > 0, arrayReduce('quantile(0.95)', c_ms), nan) AS candidate_p95_ms,
            if(baseline_runs > 0, arrayAvg(b_cost), nan) AS baseline_cost_usd,
            if(candidate_runs > 0, arrayAvg(c_cost), nan) AS candidate_cost_usd,
            -- Pooled two-proportion z-test, one-sided: P(Z <= z), the candidate's rate lower.
            -- Written out: the engine's proportionsZTest gives NaN when an arm has no
            -- successes at all, the clearest regression there is.
            (arrayCount(x -> x.3, b) + arrayCount(x -> x.3, c)) / (baseline_runs + candidate_runs) AS pooled,
            sqrt(pooled * (1 - pooled) * (1 / candidate_runs + 1 / baseline_runs)) AS se,
            if(both AND se > 0, 0.5 * erfc(-((candidate_rate - baseline_rate) / se) / sqrt(2)), nan)
                AS success_p,
            -- Mann-Whitney U, sample 0 the candidate: 'greater' tests candidate > baseline.
            -- Evaluated only where both arms have runs (the test refuses an empty sample).
            arrayConcat(arrayWithConstant(candidate_runs, toUInt8(0)),
                arrayWithConstant(baseline_runs, toUInt8(1))) AS samples,
            if(both, ${mannWhitney('arrayConcat(c_ms, b_ms)')}, nan) AS latency_p,
            if(both, ${mannWhitney('arrayConcat(c_cost, b_cost)')}, nan) AS cost_p
        FROM arms
        ARRAY JOIN candidates AS pair
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
            tuple('p95_latency_ms', baseline_p95_ms, candidate_p95_ms, latency_p,
                candidate_p95_ms > baseline_p95_ms),
            tuple('cost_per_run_usd', baseline_cost_usd, candidate_cost_usd, cost_p,
                candidate_cost_usd > baseline_cost_usd)
        ] AS m
    )
SELECT agent, if(by_version, 'version', 'variant') AS dimension, baseline, candidate, metric,
    baseline_value, candidate_value, candidate_value - baseline_value AS change,
    if(baseline_value != 0, change / baseline_value, NULL) AS relative_change,
    p_value,
    toUInt8(ifNull(p_value < alpha, 0)) AS significant,
    toUInt8(enough AND significant AND worse) AS regressed,
    multiIf(NOT enough, 'too_few_runs', regressed = 1, 'regressed', 'no_regression') AS verdict,
    baseline_runs, candidate_runs, alpha, min_runs
FROM metrics
ORDER BY agent, baseline, candidate, indexOf(['${REGRESSION_METRICS.join("', '")}'], metric)`;
}
