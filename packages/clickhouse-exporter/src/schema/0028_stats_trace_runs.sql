-- Stats by agent show the runs of traces without a run span (agent_trace_runs,
-- 0009) under the name agent_runs gives them, steps, tokens and cost
-- included. The step rollup folds each span at insert, before the trace's
-- run is known, so such a trace's steps sit under agent '' in
-- agent_step_stats. agent_stats moves them at query time: the steps of those
-- traces that carry no gen_ai.agent.name of their own and are not a
-- duplicate (agent_steps' rule, marked or nested in a model step for the
-- same model) are taken out of their '' row and counted
-- under the run's name, with the version and variant the step carries. Only
-- the traces in agent_trace_runs are read (those of agent_foreign_traces
-- without a run span). Latency quantiles of the '' row still include them,
-- as they include duplicates (0025). agent_stats_hourly and the dashboards
-- read agent_stats, so their step, token and cost columns follow; their run
-- columns already counted these runs (0009). Carries 0025 unchanged.
-- docs/schema.md (Stats of runs from any trace).

-- Per hour, agent, version, variant, step type, model and provider (see
-- 0007, 0008, 0009, 0025); a trace run's steps under the run's name.
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
            SELECT
                TraceId AS trace_id, ParentSpanId AS parent_span_id,
                toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
                ServiceName AS service,
                ResourceAttributes['deployment.environment.name'] AS environment,
                SpanAttributes['gen_ai.agent.version'] AS agent_version,
                SpanAttributes['agenttrace.variant'] AS variant,
                {{fragment step_type_v1}} AS step_type,
                {{fragment model_key_v1}} AS model,
                replaceRegexpOne(model, '^[a-z0-9_-]+/', '') AS own_model,
                SpanAttributes['gen_ai.provider.name'] AS provider,
                toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']) > 1 AS retry,
                {{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
                    OR SpanAttributes['agenttrace.failure.code'] != '' AS failed,
                Duration / 1e6 AS duration_ms,
                toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) * 1000 AS ttfc_ms,
                toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens']) AS input,
                toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']) AS output,
                toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cached,
                SpanAttributes['agenttrace.step.duplicate_of'] != '' AS marked
            FROM {{table otel_traces}}
            WHERE TraceId {{global}} IN (SELECT trace_id FROM {{table agent_trace_runs}})
                AND SpanAttributes['gen_ai.agent.name'] = '' AND {{fragment is_step_v1}}
        ) AS c
        {{global}} INNER JOIN (SELECT trace_id, agent FROM {{table agent_trace_runs}}) AS n
            ON c.trace_id = n.trace_id
        -- the model step a step is nested in, if any (agent_steps' duplicate rule, 0009)
        {{global}} LEFT JOIN (
            SELECT TraceId AS trace_id, SpanId AS span_id,
                any(replaceRegexpOne({{fragment model_key_v1}}, '^[a-z0-9_-]+/', '')) AS parent_model
            FROM {{table otel_traces}}
            WHERE TraceId {{global}} IN (SELECT trace_id FROM {{table agent_trace_runs}})
                AND {{fragment is_step_v1}} AND {{fragment step_type_v1}} = 'model'
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
            SELECT
                TraceId AS trace_id, ParentSpanId AS parent_span_id,
                toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
                ServiceName AS service,
                ResourceAttributes['deployment.environment.name'] AS environment,
                SpanAttributes['gen_ai.agent.name'] AS agent,
                SpanAttributes['gen_ai.agent.version'] AS agent_version,
                SpanAttributes['agenttrace.variant'] AS variant,
                {{fragment model_key_v1}} AS model,
                replaceRegexpOne(model, '^[a-z0-9_-]+/', '') AS own_model,
                SpanAttributes['gen_ai.provider.name'] AS provider,
                {{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
                    OR SpanAttributes['agenttrace.failure.code'] != '' AS failed,
                toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens']) AS input,
                toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']) AS output,
                toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cached
            FROM {{table otel_traces}}
            WHERE TraceId {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
                AND ParentSpanId != ''
                AND SpanAttributes['agenttrace.run.id'] = ''
                AND SpanAttributes['agenttrace.step.duplicate_of'] = ''
                AND {{fragment is_step_v1}} AND {{fragment step_type_v1}} = 'model'
        ) AS c
        {{global}} INNER JOIN (
            SELECT TraceId AS trace_id, SpanId AS span_id,
                any(replaceRegexpOne({{fragment model_key_v1}}, '^[a-z0-9_-]+/', '')) AS parent_model
            FROM {{table otel_traces}}
            WHERE TraceId {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
                AND {{fragment is_step_v1}} AND {{fragment step_type_v1}} = 'model'
            GROUP BY trace_id, span_id
        ) AS p ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id
        WHERE c.own_model = '' OR p.parent_model = '' OR c.own_model = p.parent_model
        GROUP BY bucket, service, environment, agent, agent_version, variant, model, provider
        UNION ALL
        -- a trace run's steps out of their '' row ...
        SELECT
            bucket, service, environment, '' AS agent, agent_version, variant, step_type, model, provider,
            countStateIf(1, 0) AS steps, toUInt64(0) AS retries, toUInt64(0) AS failed_steps,
            quantilesStateIf(0.5, 0.95, 0.99)(toFloat64(0), 0) AS latency,
            quantilesStateIf(0.5, 0.95)(toFloat64(0), 0) AS time_to_first_chunk,
            toUInt64(0) AS input_tokens, toUInt64(0) AS output_tokens, toUInt64(0) AS cached_tokens,
            toUInt64(count()) AS dup_steps, toUInt64(countIf(failed)) AS dup_failed,
            toUInt64(sum(input)) AS dup_input, toUInt64(sum(output)) AS dup_output,
            toUInt64(sum(cached)) AS dup_cached, toUInt64(countIf(retry)) AS dup_retries
        FROM moved
        GROUP BY bucket, service, environment, agent_version, variant, step_type, model, provider
        UNION ALL
        -- ... and under the run's name
        SELECT
            bucket, service, environment, run_agent AS agent, agent_version, variant, step_type, model, provider,
            countState() AS steps, toUInt64(countIf(retry)) AS retries, toUInt64(countIf(failed)) AS failed_steps,
            quantilesState(0.5, 0.95, 0.99)(toFloat64(duration_ms)) AS latency,
            quantilesStateIf(0.5, 0.95)(toFloat64(ifNull(ttfc_ms, 0)), ttfc_ms IS NOT NULL) AS time_to_first_chunk,
            toUInt64(sum(input)) AS input_tokens, toUInt64(sum(output)) AS output_tokens,
            toUInt64(sum(cached)) AS cached_tokens,
            toUInt64(0) AS dup_steps, toUInt64(0) AS dup_failed, toUInt64(0) AS dup_input,
            toUInt64(0) AS dup_output, toUInt64(0) AS dup_cached, toUInt64(0) AS dup_retries
        FROM moved
        GROUP BY bucket, service, environment, run_agent, agent_version, variant, step_type, model, provider
    )
    GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
    -- a '' row whose steps all moved to their run's name
    HAVING steps > 0
)
{{view_settings}};
