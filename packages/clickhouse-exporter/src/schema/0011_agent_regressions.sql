-- Regressions between versions and between variants of an agent, over the
-- runs of the last 7 days, each metric with a significance test computed by
-- the engine (docs/signals.md):
-- * success rate: two-proportion z-test (proportionsZTest, pooled), one-sided;
-- * p95 latency and cost per run: Mann-Whitney U test (mannWhitneyUTest,
--   'greater': candidate runs slower / costlier than baseline runs).
-- Pairs: versions, the newest version (by first run) against the one before;
-- variants, each variant against the agent's most-run variant (the control).
-- One row per pair and metric; regressed = 1 when the candidate is worse with
-- p < 0.05 and both arms have at least 20 runs.
CREATE OR REPLACE VIEW {{table agent_regressions}} {{on_cluster}} AS
WITH
    0.05 AS alpha,
    20 AS min_runs,
    arm_runs AS (
        SELECT agent, 'version' AS dimension, agent_version AS arm, started_at, duration_ms, status, cost_usd
        FROM {{table agent_runs}}
        WHERE started_at >= now() - INTERVAL 7 DAY AND agent_version != ''
        UNION ALL
        SELECT agent, 'variant' AS dimension, variant AS arm, started_at, duration_ms, status, cost_usd
        FROM {{table agent_runs}}
        WHERE started_at >= now() - INTERVAL 7 DAY AND variant != ''
    ),
    pairs AS (
        SELECT agent, dimension, pair.1 AS baseline, pair.2 AS candidate
        FROM (
            SELECT agent, dimension,
                arraySort(x -> x.2, groupArray(tuple(arm, first_seen))) AS by_time,
                arraySort(x -> (-x.2, x.1), groupArray(tuple(arm, n))) AS by_runs,
                if(dimension = 'version', [tuple(by_time[-2].1, by_time[-1].1)],
                    arrayMap(x -> tuple(by_runs[1].1, x.1), arraySlice(by_runs, 2))) AS candidates
            FROM (
                SELECT agent, dimension, arm, min(started_at) AS first_seen, count() AS n
                FROM arm_runs
                GROUP BY agent, dimension, arm
            )
            GROUP BY agent, dimension
            HAVING count() >= 2
        )
        ARRAY JOIN candidates AS pair
    ),
    tested AS (
        SELECT
            p.agent AS agent, p.dimension AS dimension, p.baseline AS baseline, p.candidate AS candidate,
            countIf(r.arm = p.baseline) AS baseline_runs,
            countIf(r.arm = p.candidate) AS candidate_runs,
            countIf(r.arm = p.baseline AND r.status = 'success') AS baseline_successes,
            countIf(r.arm = p.candidate AND r.status = 'success') AS candidate_successes,
            quantileIf(0.95)(r.duration_ms, r.arm = p.baseline) AS baseline_p95_ms,
            quantileIf(0.95)(r.duration_ms, r.arm = p.candidate) AS candidate_p95_ms,
            avgIf(r.cost_usd, r.arm = p.baseline) AS baseline_cost_usd,
            avgIf(r.cost_usd, r.arm = p.candidate) AS candidate_cost_usd,
            -- sample 0 is the candidate: 'greater' tests candidate > baseline
            mannWhitneyUTest('greater')(r.duration_ms, toUInt8(r.arm = p.baseline)).p_value AS latency_p_value,
            mannWhitneyUTest('greater')(r.cost_usd, toUInt8(r.arm = p.baseline)).p_value AS cost_p_value
        FROM pairs AS p
        {{global}} INNER JOIN arm_runs AS r ON p.agent = r.agent AND p.dimension = r.dimension
        WHERE r.arm = p.baseline OR r.arm = p.candidate
        GROUP BY agent, dimension, baseline, candidate
    ),
    with_z AS (
        SELECT *,
            proportionsZTest(candidate_successes, baseline_successes, candidate_runs, baseline_runs,
                0.95, 'pooled') AS z
        FROM tested
    )
SELECT agent, dimension, baseline, candidate, baseline_runs, candidate_runs, m.1 AS metric,
    m.2 AS baseline_value, m.3 AS candidate_value, m.4 AS p_value,
    toUInt8(baseline_runs >= min_runs AND candidate_runs >= min_runs AND ifNull(m.4 < alpha, 0)
        AND m.5) AS regressed
FROM with_z
ARRAY JOIN [
    tuple('success_rate', baseline_successes / baseline_runs, candidate_successes / candidate_runs,
        -- one-sided: the candidate's rate is lower
        if(z.z_statistic < 0, z.p_value / 2, 1 - z.p_value / 2),
        candidate_successes / candidate_runs < baseline_successes / baseline_runs),
    tuple('p95_latency_ms', baseline_p95_ms, candidate_p95_ms, toNullable(latency_p_value),
        candidate_p95_ms > baseline_p95_ms),
    tuple('cost_per_run_usd', baseline_cost_usd, candidate_cost_usd, toNullable(cost_p_value),
        candidate_cost_usd > baseline_cost_usd)
] AS m
{{view_settings}};
