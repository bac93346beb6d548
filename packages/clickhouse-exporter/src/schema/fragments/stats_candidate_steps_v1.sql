-- SELECT of agent_stats_candidate_steps_mv, shared with its one-off backfill:
-- the step spans agent_stats corrects at query time, with the columns the
-- corrections read. A step without agenttrace.run.id may be an unmarked
-- nested duplicate (0025); a step without gen_ai.agent.name may belong to a
-- trace run and move to its name (0028). Expressions as in 0028.
SELECT
    TraceId AS trace_id, SpanId AS span_id, ParentSpanId AS parent_span_id,
    toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
    ServiceName AS service,
    ResourceAttributes['deployment.environment.name'] AS environment,
    SpanAttributes['gen_ai.agent.name'] AS agent,
    SpanAttributes['gen_ai.agent.version'] AS agent_version,
    SpanAttributes['agenttrace.variant'] AS variant,
    {{fragment step_type_v1}} AS step_type,
    {{fragment model_key_v1}} AS model,
    replaceRegexpOne(model, '^[a-z0-9_-]+/', '') AS own_model,
    SpanAttributes['gen_ai.provider.name'] AS provider,
    toUInt8(SpanAttributes['agenttrace.run.id'] != '') AS has_run_id,
    toUInt8(toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']) > 1) AS retry,
    toUInt8({{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
        OR SpanAttributes['agenttrace.failure.code'] != '') AS failed,
    Duration / 1e6 AS duration_ms,
    toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) * 1000 AS ttfc_ms,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens']) AS input,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']) AS output,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cached,
    toUInt8(SpanAttributes['agenttrace.step.duplicate_of'] != '') AS marked
FROM {{local otel_traces}}
WHERE (SpanAttributes['agenttrace.run.id'] = '' OR SpanAttributes['gen_ai.agent.name'] = '')
    AND {{fragment is_step_v1}}
