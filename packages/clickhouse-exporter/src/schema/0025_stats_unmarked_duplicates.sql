-- Counted once in the rollups too: agent_stats (and agent_stats_hourly and
-- the dashboards, which read it) takes out the unmarked nested duplicates
-- that agent_steps and agent_runs already count once (0009).
--
-- A model step of another instrumentation (no agenttrace.run.id, no
-- agenttrace.step.duplicate_of) whose parent span is a model step of the same
-- trace, for the same model (or either without a model), is a duplicate of
-- that parent: the same rule as agent_steps. The SDK's processor marks this
-- case on the client, and agent_stats already took the marked ones out
-- (agent_step_duplicate_stats, 0009); the collector sees only ended spans, the
-- inner one first, so it cannot mark it, and the insert-time step rollup
-- counted the call twice (measured with a framework span around the real
-- openai client under OpenLLMetry through the collector: 2 model steps, 240
-- input tokens for one call of 120).
--
-- An insert-time view cannot see a span's parent, so the unmarked duplicates
-- are found at query time, reading only the traces in agent_foreign_traces
-- (as agent_steps does), and subtracted under the keys of their own row.
-- Latency quantiles still include them. docs/schema.md (Counted once).

-- Per hour, agent, version, variant, step type, model and provider (see
-- 0007, 0008, 0009), without the steps, failures and tokens of duplicates:
-- the marked ones (agent_step_duplicate_stats) and now the unmarked ones.
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
        toUInt64(greatest(toInt64(countMerge(steps)) - toInt64(sum(dup_steps)), 0)) AS steps,
        sum(retries) AS retries,
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
            toUInt64(0) AS dup_output, toUInt64(0) AS dup_cached
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
            toUInt64(sum(d.cached_tokens)) AS dup_cached
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
            toUInt64(sum(c.cached)) AS dup_cached
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
    )
    GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
)
{{view_settings}};
