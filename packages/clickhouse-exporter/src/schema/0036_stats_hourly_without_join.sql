-- agent_stats_hourly (0009) without its FULL OUTER JOIN: the run side
-- (agent_run_stats and the runs of traces without a run span) and the step
-- side (agent_stats summed per hour and run dimensions) are one UNION ALL
-- grouped by the six keys. Same rows and values; what changes is that a
-- filter on a key (a dashboard's time range on bucket, an agent) now reaches
-- the rollup tables below the GROUP BY, where the join kept it above both
-- sides and every hour of history was merged first. docs/benchmarks.md
-- (stats-query).
CREATE OR REPLACE VIEW {{table agent_stats_hourly}} {{on_cluster}} AS
SELECT
    bucket, service, environment, agent, agent_version, variant,
    runs, successes, failures, partials,
    if(runs = 0, NULL, successes / runs) AS success_rate,
    -- a key with steps but no run has no latency (0, as the join of 0009 gave), not NaN
    if(runs = 0, 0, latency[1]) AS p50_ms, if(runs = 0, 0, latency[2]) AS p95_ms,
    if(runs = 0, 0, latency[3]) AS p99_ms,
    if(runs = 0, NULL, duration_sum_ms / runs) AS avg_ms,
    step_count AS steps, retries, failed_steps, tool_steps, model_steps,
    input_tokens, output_tokens, cached_tokens, cost_usd
FROM (
    SELECT
        bucket, service, environment, agent, agent_version, variant,
        countMerge(runs) AS runs,
        sum(successes) AS successes, sum(failures) AS failures, sum(partials) AS partials,
        sum(duration_sum_ms) AS duration_sum_ms,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency,
        sum(tool_steps) AS tool_steps, sum(model_steps) AS model_steps, sum(step_count) AS step_count,
        sum(retries) AS retries, sum(failed_steps) AS failed_steps,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
        sum(cached_tokens) AS cached_tokens, sum(cost_usd) AS cost_usd
    FROM (
        SELECT
            bucket, toString(service) AS service, toString(environment) AS environment,
            toString(agent) AS agent, toString(agent_version) AS agent_version,
            toString(variant) AS variant, runs, toUInt64(successes) AS successes,
            toUInt64(failures) AS failures, toUInt64(partials) AS partials,
            toFloat64(duration_sum_ms) AS duration_sum_ms, latency,
            toUInt64(0) AS tool_steps, toUInt64(0) AS model_steps, toUInt64(0) AS step_count,
            toUInt64(0) AS retries, toUInt64(0) AS failed_steps, toUInt64(0) AS input_tokens,
            toUInt64(0) AS output_tokens, toUInt64(0) AS cached_tokens, toFloat64(0) AS cost_usd
        FROM {{table agent_run_stats}}
        UNION ALL
        SELECT
            toStartOfHour(toDateTime(started_at, 'UTC')) AS bucket, service, environment, agent,
            '' AS agent_version, '' AS variant, countState() AS runs,
            toUInt64(countIf(status = 'success')) AS successes,
            toUInt64(countIf(status = 'failure')) AS failures,
            toUInt64(countIf(status = 'partial')) AS partials,
            sum(duration_ms) AS duration_sum_ms,
            quantilesState(0.5, 0.95, 0.99)(duration_ms) AS latency,
            0, 0, 0, 0, 0, 0, 0, 0, 0
        FROM {{table agent_trace_runs}}
        GROUP BY bucket, service, environment, agent
        UNION ALL
        SELECT
            bucket, service, environment, agent, agent_version, variant,
            countStateIf(1, 0), 0, 0, 0, 0, quantilesStateIf(0.5, 0.95, 0.99)(toFloat64(0), 0),
            toUInt64(sumIf(steps, step_type = 'tool')), toUInt64(sumIf(steps, step_type = 'model')),
            toUInt64(sum(steps)), toUInt64(sum(retries)), toUInt64(sum(failed_steps)),
            toUInt64(sum(input_tokens)), toUInt64(sum(output_tokens)), toUInt64(sum(cached_tokens)),
            toFloat64(sum(ifNull(cost_usd, 0)))
        FROM {{table agent_stats}}
        GROUP BY bucket, service, environment, agent, agent_version, variant
    )
    GROUP BY bucket, service, environment, agent, agent_version, variant
)
{{view_settings}};
