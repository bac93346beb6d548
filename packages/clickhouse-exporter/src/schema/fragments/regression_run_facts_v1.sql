-- SELECT of agent_regression_run_facts_mv, shared with its one-off backfill:
-- per day and run of one insert, the run span's arm, status, start and
-- duration, and per priced model of the run's steps (model_key_v1, as
-- agent_run_facts folds them) its steps and tokens (summed when rows merge)
-- and when the model was first seen (the earliest, when rows merge), so the
-- run's cost is priced as agent_runs prices it. run_hash is cityHash64(run_id):
-- the regression query samples runs by it and groups a run's rows by it.
SELECT
    day, cityHash64(run_id) AS run_hash, run_id,
    toUInt8(max(is_run_span)) AS is_run,
    maxIf(SpanAttributes['gen_ai.agent.name'], is_run_span) AS agent,
    maxIf(SpanAttributes['gen_ai.agent.version'], is_run_span) AS agent_version,
    maxIf(SpanAttributes['agenttrace.variant'], is_run_span) AS variant,
    maxIf(toString(ServiceName), is_run_span) AS service,
    maxIf(ResourceAttributes['deployment.environment.name'], is_run_span) AS environment,
    maxIf({{fragment run_status_v1}}, is_run_span) AS status,
    maxIf(Timestamp, is_run_span) AS started_at,
    maxIf(Duration / 1e6, is_run_span) AS duration_ms,
    -- (models, steps, input, output, cached input tokens); a step count of at
    -- least 1 keeps every model's entry (sumMap drops entries that sum to 0)
    sumMapIf(([model], [toUInt64(1)], [input_tokens], [output_tokens], [cached_tokens]),
        NOT is_run_span AND model != '') AS model_tokens,
    minMapIf(([model], [Timestamp]), NOT is_run_span AND model != '') AS model_seen
FROM (
    SELECT
        *,
        toDate(Timestamp) AS day,
        SpanAttributes['gen_ai.operation.name'] = 'invoke_agent' AS is_run_span,
        if(is_run_span, {{fragment run_id_v1}}, SpanAttributes['agenttrace.run.id']) AS run_id,
        toString({{fragment model_key_v1}}) AS model,
        toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens']) AS input_tokens,
        toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']) AS output_tokens,
        toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cached_tokens
    FROM {{local otel_traces}}
    WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
        OR (SpanAttributes['agenttrace.run.id'] != '' AND {{fragment is_step_v1}})
)
GROUP BY day, run_id
