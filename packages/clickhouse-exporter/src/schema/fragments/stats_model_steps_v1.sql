-- SELECT of agent_stats_model_steps_mv, shared with its one-off backfill:
-- every model step's trace, span and model without its provider prefix, the
-- parents agent_stats' duplicate rule looks up (0025, 0028).
SELECT
    TraceId AS trace_id, SpanId AS span_id,
    toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
    replaceRegexpOne({{fragment model_key_v1}}, '^[a-z0-9_-]+/', '') AS parent_model
FROM {{local otel_traces}}
WHERE {{fragment is_step_v1}} AND {{fragment step_type_v1}} = 'model'
