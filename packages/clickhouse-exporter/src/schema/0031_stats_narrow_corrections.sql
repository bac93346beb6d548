-- agent_stats fast again: the corrections of 0025 (unmarked nested
-- duplicates) and 0028 (a trace run's steps under the run's name) read two
-- narrow tables filled on insert instead of otel_traces' attribute maps:
--
-- * agent_stats_candidate_steps: the step spans without agenttrace.run.id or
--   without gen_ai.agent.name (the only ones either correction can touch),
--   with the columns the corrections use, already extracted;
-- * agent_stats_model_steps: every model step's trace, span and model, the
--   parents the duplicate rule looks up (ordered by trace, so a lookup for
--   the few traces with candidates reads only their granules).
--
-- Same rules and answers as 0028 (which carries 0025): a step without a run
-- id is in a trace of agent_foreign_traces by definition, so that filter is
-- implied; a moved step is read once and counted both out of its '' row and
-- under its run's name (ARRAY JOIN of the two sides), and agent_trace_runs
-- is read once. Backfilled from the spans already stored. docs/schema.md
-- (Stats of runs from any trace), docs/benchmarks.md (stats-query).
CREATE TABLE IF NOT EXISTS {{local agent_stats_candidate_steps}} {{on_cluster}} (
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    bucket DateTime('UTC') CODEC(Delta, ZSTD(1)),
    service LowCardinality(String) CODEC(ZSTD(1)),
    environment LowCardinality(String) CODEC(ZSTD(1)),
    agent LowCardinality(String) CODEC(ZSTD(1)),
    agent_version LowCardinality(String) CODEC(ZSTD(1)),
    variant LowCardinality(String) CODEC(ZSTD(1)),
    step_type LowCardinality(String) CODEC(ZSTD(1)),
    model LowCardinality(String) CODEC(ZSTD(1)),
    own_model LowCardinality(String) CODEC(ZSTD(1)),
    provider LowCardinality(String) CODEC(ZSTD(1)),
    has_run_id UInt8,
    retry UInt8,
    failed UInt8,
    duration_ms Float64 CODEC(ZSTD(1)),
    ttfc_ms Nullable(Float64) CODEC(ZSTD(1)),
    input UInt64 CODEC(ZSTD(1)),
    output UInt64 CODEC(ZSTD(1)),
    cached UInt64 CODEC(ZSTD(1)),
    marked UInt8
) ENGINE = {{engine MergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (trace_id, span_id)
{{ttl bucket}};

{{distributed agent_stats_candidate_steps cityHash64(trace_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_stats_candidate_steps_mv}} {{on_cluster}}
TO {{local agent_stats_candidate_steps}}
AS {{fragment stats_candidate_steps_v1}};

-- Backfill spans inserted before this migration (a no-op on a new store).
INSERT INTO {{local agent_stats_candidate_steps}} (
    trace_id, span_id, parent_span_id, bucket, service, environment, agent, agent_version, variant,
    step_type, model, own_model, provider, has_run_id, retry, failed, duration_ms, ttfc_ms,
    input, output, cached, marked)
{{fragment stats_candidate_steps_v1}};

CREATE TABLE IF NOT EXISTS {{local agent_stats_model_steps}} {{on_cluster}} (
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    bucket DateTime('UTC') CODEC(Delta, ZSTD(1)),
    parent_model LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{engine MergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (trace_id, span_id)
{{ttl bucket}};

{{distributed agent_stats_model_steps cityHash64(trace_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_stats_model_steps_mv}} {{on_cluster}}
TO {{local agent_stats_model_steps}}
AS {{fragment stats_model_steps_v1}};

INSERT INTO {{local agent_stats_model_steps}} (trace_id, span_id, bucket, parent_model)
{{fragment stats_model_steps_v1}};

-- Per hour, agent, version, variant, step type, model and provider (see
-- 0007, 0008, 0009, 0025, 0028), from the narrow tables above.
CREATE OR REPLACE VIEW {{table agent_stats}} {{on_cluster}} AS
WITH
    {{fragment price_list_v1}} AS price_list,
    -- each non-duplicate step without an agent of its own in a trace without a run span
    moved AS (
        SELECT
            c.bucket AS bucket, c.service AS service, c.environment AS environment, n.agent AS run_agent,
            c.agent_version AS agent_version, c.variant AS variant, c.step_type AS step_type,
            c.model AS model, c.provider AS provider, c.retry AS retry, c.failed AS failed,
            c.duration_ms AS duration_ms, c.ttfc_ms AS ttfc_ms,
            c.input AS input, c.output AS output, c.cached AS cached
        FROM (
            SELECT trace_id, parent_span_id, bucket, service, environment, agent_version, variant,
                step_type, model, own_model, provider, retry, failed, duration_ms, ttfc_ms,
                input, output, cached, marked
            FROM {{table agent_stats_candidate_steps}}
            WHERE agent = ''
        ) AS c
        {{global}} INNER JOIN (SELECT trace_id, agent FROM {{table agent_trace_runs}}) AS n
            ON c.trace_id = n.trace_id
        -- the model step a step is nested in, if any (agent_steps' duplicate rule, 0009)
        {{global}} LEFT JOIN (
            SELECT trace_id, span_id, any(parent_model) AS parent_model
            FROM {{table agent_stats_model_steps}}
            WHERE trace_id {{global}} IN (
                SELECT trace_id FROM {{table agent_stats_candidate_steps}} WHERE agent = '')
            GROUP BY trace_id, span_id
        ) AS p ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id
        WHERE NOT c.marked
            AND NOT (c.step_type = 'model' AND p.span_id != ''
                AND (c.own_model = '' OR p.parent_model = '' OR c.own_model = p.parent_model))
    )
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
        toUInt64(greatest(toInt64(countMerge(steps)) - toInt64(sum(dup_steps)), 0)) AS steps,
        toUInt64(greatest(toInt64(sum(retries)) - toInt64(sum(dup_retries)), 0)) AS retries,
        toUInt64(greatest(toInt64(sum(failed_steps)) - toInt64(sum(dup_failed)), 0)) AS failed_steps,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency,
        quantilesMerge(0.5, 0.95)(time_to_first_chunk) AS ttfc,
        toUInt64(greatest(toInt64(sum(input_tokens)) - toInt64(sum(dup_input)), 0)) AS input,
        toUInt64(greatest(toInt64(sum(output_tokens)) - toInt64(sum(dup_output)), 0)) AS output,
        toUInt64(greatest(toInt64(sum(cached_tokens)) - toInt64(sum(dup_cached)), 0)) AS cached,
        tuple(model) AS key,
        {{fragment price_index_v1}} AS i,
        {{fragment priced_cost_v1}} AS cost
    FROM (
        SELECT
            bucket, service, environment, agent, agent_version, variant, step_type, model, provider,
            steps, toUInt64(retries) AS retries, toUInt64(failed_steps) AS failed_steps, latency,
            time_to_first_chunk, toUInt64(input_tokens) AS input_tokens,
            toUInt64(output_tokens) AS output_tokens, toUInt64(cached_tokens) AS cached_tokens,
            toUInt64(0) AS dup_steps, toUInt64(0) AS dup_failed, toUInt64(0) AS dup_input,
            toUInt64(0) AS dup_output, toUInt64(0) AS dup_cached, toUInt64(0) AS dup_retries
        FROM {{table agent_step_stats}}
        UNION ALL
        SELECT
            bucket, service, environment, agent, agent_version, variant, step_type, model, provider,
            countStateIf(1, 0) AS steps, toUInt64(0) AS retries, toUInt64(0) AS failed_steps,
            quantilesStateIf(0.5, 0.95, 0.99)(toFloat64(0), 0) AS latency,
            quantilesStateIf(0.5, 0.95)(toFloat64(0), 0) AS time_to_first_chunk,
            toUInt64(0) AS input_tokens, toUInt64(0) AS output_tokens, toUInt64(0) AS cached_tokens,
            toUInt64(sum(d.steps)) AS dup_steps, toUInt64(sum(d.failed_steps)) AS dup_failed,
            toUInt64(sum(d.input_tokens)) AS dup_input, toUInt64(sum(d.output_tokens)) AS dup_output,
            toUInt64(sum(d.cached_tokens)) AS dup_cached, toUInt64(0) AS dup_retries
        FROM {{table agent_step_duplicate_stats}} AS d
        GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
        UNION ALL
        -- unmarked nested duplicates (the rule of agent_steps, 0009), under the keys of their own row
        SELECT
            bucket, service, environment, agent, agent_version, variant, 'model' AS step_type, model, provider,
            countStateIf(1, 0) AS steps, toUInt64(0) AS retries, toUInt64(0) AS failed_steps,
            quantilesStateIf(0.5, 0.95, 0.99)(toFloat64(0), 0) AS latency,
            quantilesStateIf(0.5, 0.95)(toFloat64(0), 0) AS time_to_first_chunk,
            toUInt64(0) AS input_tokens, toUInt64(0) AS output_tokens, toUInt64(0) AS cached_tokens,
            toUInt64(count()) AS dup_steps, toUInt64(countIf(c.failed)) AS dup_failed,
            toUInt64(sum(c.input)) AS dup_input, toUInt64(sum(c.output)) AS dup_output,
            toUInt64(sum(c.cached)) AS dup_cached, toUInt64(0) AS dup_retries
        FROM (
            SELECT trace_id, parent_span_id, bucket, service, environment, agent, agent_version, variant,
                model, own_model, provider, failed, input, output, cached
            FROM {{table agent_stats_candidate_steps}}
            WHERE has_run_id = 0 AND marked = 0 AND parent_span_id != '' AND step_type = 'model'
        ) AS c
        {{global}} INNER JOIN (
            SELECT trace_id, span_id, any(parent_model) AS parent_model
            FROM {{table agent_stats_model_steps}}
            WHERE trace_id {{global}} IN (
                SELECT trace_id FROM {{table agent_stats_candidate_steps}}
                WHERE has_run_id = 0 AND marked = 0 AND parent_span_id != '' AND step_type = 'model')
            GROUP BY trace_id, span_id
        ) AS p ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id
        WHERE c.own_model = '' OR p.parent_model = '' OR c.own_model = p.parent_model
        GROUP BY bucket, service, environment, agent, agent_version, variant, model, provider
        UNION ALL
        -- a trace run's steps, read once: out of their '' row (side 0) and under the run's name (side 1)
        SELECT
            bucket, service, environment, if(side = 1, run_agent, '') AS agent, agent_version, variant,
            step_type, model, provider,
            countStateIf(1, side = 1) AS steps, toUInt64(countIf(side = 1 AND retry)) AS retries,
            toUInt64(countIf(side = 1 AND failed)) AS failed_steps,
            quantilesStateIf(0.5, 0.95, 0.99)(toFloat64(duration_ms), side = 1) AS latency,
            quantilesStateIf(0.5, 0.95)(toFloat64(ifNull(ttfc_ms, 0)), side = 1 AND ttfc_ms IS NOT NULL)
                AS time_to_first_chunk,
            toUInt64(sumIf(input, side = 1)) AS input_tokens, toUInt64(sumIf(output, side = 1)) AS output_tokens,
            toUInt64(sumIf(cached, side = 1)) AS cached_tokens,
            toUInt64(countIf(side = 0)) AS dup_steps, toUInt64(countIf(side = 0 AND failed)) AS dup_failed,
            toUInt64(sumIf(input, side = 0)) AS dup_input, toUInt64(sumIf(output, side = 0)) AS dup_output,
            toUInt64(sumIf(cached, side = 0)) AS dup_cached, toUInt64(countIf(side = 0 AND retry)) AS dup_retries
        FROM moved
        ARRAY JOIN [toUInt8(0), toUInt8(1)] AS side
        GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
    )
    GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
    -- a '' row whose steps all moved to their run's name
    HAVING steps > 0
)
{{view_settings}};
