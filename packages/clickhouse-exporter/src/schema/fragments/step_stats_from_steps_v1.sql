-- SELECT of agent_step_stats_mv, shared with the one-off backfill in the same migration.
SELECT
    toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
    ServiceName AS service,
    ResourceAttributes['deployment.environment.name'] AS environment,
    SpanAttributes['gen_ai.agent.name'] AS agent,
    SpanAttributes['gen_ai.agent.version'] AS agent_version,
    SpanAttributes['agenttrace.variant'] AS variant,
    {{fragment step_type_v1}} AS step_type,
    {{fragment model_key_v1}} AS model,
    SpanAttributes['gen_ai.provider.name'] AS provider,
    countState() AS steps,
    toUInt64(countIf(toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']) > 1)) AS retries,
    toUInt64(countIf({{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
        OR SpanAttributes['agenttrace.failure.code'] != '')) AS failed_steps,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])) AS input_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens'])) AS output_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens'])) AS cached_tokens,
    quantilesState(0.5, 0.95, 0.99)(Duration / 1e6) AS latency,
    quantilesStateIf(0.5, 0.95)(toFloat64OrZero(SpanAttributes['gen_ai.response.time_to_first_chunk']) * 1000,
        SpanAttributes['gen_ai.response.time_to_first_chunk'] != '') AS time_to_first_chunk
FROM {{local otel_traces}}
WHERE {{fragment is_step_v1}}
GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
