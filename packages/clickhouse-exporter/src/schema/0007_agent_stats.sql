-- Stats that stay fast at tens of millions of spans: materialized views fold
-- spans, as they are inserted, into hourly AggregatingMergeTree rows; the
-- query views merge those states (countMerge, quantilesMerge, …) and price
-- the token sums at query time from model_prices.
--
-- Run metrics come from run spans. Step metrics come from step spans and are
-- grouped by the agent, version and variant the step span itself carries
-- (gen_ai.agent.name, gen_ai.agent.version, agenttrace.variant); a step
-- without them, e.g. from another instrumentation, is counted under agent ''.

-- Runs per hour, service, environment, agent, version and variant.
CREATE TABLE IF NOT EXISTS {{local agent_run_stats}} {{on_cluster}} (
    bucket DateTime('UTC'),
    service LowCardinality(String),
    environment LowCardinality(String),
    agent LowCardinality(String),
    agent_version LowCardinality(String),
    variant LowCardinality(String),
    runs AggregateFunction(count),
    successes SimpleAggregateFunction(sum, UInt64),
    failures SimpleAggregateFunction(sum, UInt64),
    partials SimpleAggregateFunction(sum, UInt64),
    duration_sum_ms SimpleAggregateFunction(sum, Float64),
    latency AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64)
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, service, environment, agent, agent_version, variant)
{{ttl bucket}};

{{distributed agent_run_stats rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_run_stats_mv}} {{on_cluster}}
TO {{local agent_run_stats}}
AS {{fragment run_stats_from_runs_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_run_stats}} (
    bucket, service, environment, agent, agent_version, variant, runs, successes, failures,
    partials, duration_sum_ms, latency)
{{fragment run_stats_from_runs_v1}};

-- Steps per hour, service, environment, agent, version, variant, step type,
-- priced model and provider.
CREATE TABLE IF NOT EXISTS {{local agent_step_stats}} {{on_cluster}} (
    bucket DateTime('UTC'),
    service LowCardinality(String),
    environment LowCardinality(String),
    agent LowCardinality(String),
    agent_version LowCardinality(String),
    variant LowCardinality(String),
    step_type LowCardinality(String),
    model LowCardinality(String),
    provider LowCardinality(String),
    steps AggregateFunction(count),
    retries SimpleAggregateFunction(sum, UInt64),
    failed_steps SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cached_tokens SimpleAggregateFunction(sum, UInt64),
    latency AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64),
    time_to_first_chunk AggregateFunction(quantiles(0.5, 0.95), Float64)
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, service, environment, agent, agent_version, variant, step_type, model, provider)
{{ttl bucket}};

{{distributed agent_step_stats rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_step_stats_mv}} {{on_cluster}}
TO {{local agent_step_stats}}
AS {{fragment step_stats_from_steps_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_step_stats}} (
    bucket, service, environment, agent, agent_version, variant, step_type, model, provider,
    steps, retries, failed_steps, input_tokens, output_tokens, cached_tokens, latency,
    time_to_first_chunk)
{{fragment step_stats_from_steps_v1}};

-- Per hour, agent, version, variant, step type, model and provider: step
-- counts, step success rate and latency, tokens and cost (NULL for a model
-- without a price; steps that call no model have model '').
CREATE OR REPLACE VIEW {{table agent_stats}} {{on_cluster}} AS
WITH {{fragment price_list_v1}} AS price_list
SELECT
    bucket, service, environment, agent, agent_version, variant, step_type, model, provider,
    steps, retries, failed_steps, 1 - failed_steps / steps AS success_rate,
    latency[1] AS p50_ms, latency[2] AS p95_ms, latency[3] AS p99_ms,
    ttfc[1] AS ttfc_p50_ms, ttfc[2] AS ttfc_p95_ms,
    input AS input_tokens, output AS output_tokens, cached AS cached_tokens,
    if(i = 0, NULL, cost) AS cost_usd
FROM (
    SELECT
        bucket, service, environment, agent, agent_version, variant, step_type, model, provider,
        countMerge(steps) AS steps,
        sum(retries) AS retries,
        sum(failed_steps) AS failed_steps,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency,
        quantilesMerge(0.5, 0.95)(time_to_first_chunk) AS ttfc,
        sum(input_tokens) AS input,
        sum(output_tokens) AS output,
        sum(cached_tokens) AS cached,
        tuple(model) AS key,
        {{fragment price_index_v1}} AS i,
        {{fragment priced_cost_v1}} AS cost
    FROM {{table agent_step_stats}}
    GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
);

-- Per hour, service, environment, agent, version and variant: runs, their
-- outcome and latency, and the steps, retries, tokens and cost of the steps
-- that carried the same agent, version and variant.
CREATE OR REPLACE VIEW {{table agent_stats_hourly}} {{on_cluster}} AS
SELECT
    bucket, service, environment, agent, agent_version, variant,
    r.runs AS runs, r.successes AS successes, r.failures AS failures, r.partials AS partials,
    if(r.runs = 0, NULL, r.successes / r.runs) AS success_rate,
    r.latency[1] AS p50_ms, r.latency[2] AS p95_ms, r.latency[3] AS p99_ms,
    if(r.runs = 0, NULL, r.duration_sum_ms / r.runs) AS avg_ms,
    s.step_count AS steps, s.retries AS retries, s.failed_steps AS failed_steps,
    s.tool_steps AS tool_steps, s.model_steps AS model_steps,
    s.input_tokens AS input_tokens, s.output_tokens AS output_tokens, s.cached_tokens AS cached_tokens,
    s.cost_usd AS cost_usd
FROM (
    SELECT
        bucket, service, environment, agent, agent_version, variant,
        countMerge(runs) AS runs,
        sum(successes) AS successes,
        sum(failures) AS failures,
        sum(partials) AS partials,
        sum(duration_sum_ms) AS duration_sum_ms,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency
    FROM {{table agent_run_stats}}
    GROUP BY bucket, service, environment, agent, agent_version, variant
) AS r
FULL OUTER JOIN (
    SELECT
        bucket, service, environment, agent, agent_version, variant,
        sumIf(steps, step_type = 'tool') AS tool_steps,
        sumIf(steps, step_type = 'model') AS model_steps,
        sum(steps) AS step_count,
        sum(retries) AS retries,
        sum(failed_steps) AS failed_steps,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(cached_tokens) AS cached_tokens,
        sum(ifNull(cost_usd, 0)) AS cost_usd
    FROM {{table agent_stats}}
    GROUP BY bucket, service, environment, agent, agent_version, variant
) AS s USING (bucket, service, environment, agent, agent_version, variant);
