-- SELECT of agent_run_facts_steps_mv, shared with the one-off backfill in the same migration.
SELECT
    run_id,
    model,
    min(Timestamp) AS seen_at,
    count() AS step_count,
    countIf(attempt > 1) AS retry_count,
    countIf(failed) AS failed_step_count,
    countIf(step_type = 'tool') AS tool_step_count,
    countIf(step_type = 'model') AS model_step_count,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])) AS input_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens'])) AS output_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens'])) AS cached_tokens,
    argMinStateIf(tuple(failure_type, failure_code, step_name), Timestamp, failed) AS first_failure
FROM (
    SELECT
        *,
        SpanAttributes['agenttrace.run.id'] AS run_id,
        {{fragment model_key_v1}} AS model,
        {{fragment step_type_v1}} AS step_type,
        multiIf(
            SpanAttributes['agenttrace.step.name'] != '', SpanAttributes['agenttrace.step.name'],
            SpanAttributes['gen_ai.tool.name'] != '', SpanAttributes['gen_ai.tool.name'],
            SpanName) AS step_name,
        greatest(toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']), 1) AS attempt,
        {{fragment error_text_v1}} AS error_text,
        toUInt16OrZero(SpanAttributes['http.response.status_code']) AS http_status,
        {{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
            OR SpanAttributes['agenttrace.failure.code'] != '' AS failed,
        if(NOT failed, '', if(SpanAttributes['agenttrace.failure.type'] != '',
            SpanAttributes['agenttrace.failure.type'], {{fragment failure_type_v1}})) AS failure_type,
        if(NOT failed, '', if(SpanAttributes['agenttrace.failure.code'] != '',
            SpanAttributes['agenttrace.failure.code'], {{fragment failure_code_v1}})) AS failure_code
    FROM {{local otel_traces}}
    WHERE SpanAttributes['agenttrace.run.id'] != '' AND {{fragment is_step_v1}}
)
GROUP BY run_id, model
