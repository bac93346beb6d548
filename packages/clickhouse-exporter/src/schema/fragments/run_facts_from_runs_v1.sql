-- SELECT of agent_run_facts_runs_mv, shared with the one-off backfill in the same migration.
SELECT
    run_id,
    '' AS model,
    min(Timestamp) AS seen_at,
    toUInt8(1) AS is_run,
    max(TraceId) AS trace_id,
    max(SpanId) AS span_id,
    max(SpanAttributes['gen_ai.agent.name']) AS agent,
    max(SpanAttributes['gen_ai.agent.version']) AS agent_version,
    max(ServiceName) AS service,
    max(ResourceAttributes['deployment.environment.name']) AS environment,
    max(SpanAttributes['agenttrace.variant']) AS variant,
    max(SpanAttributes['agenttrace.prompt.template']) AS prompt_template,
    max(SpanAttributes['agenttrace.prompt.version']) AS prompt_version,
    max(if(SpanAttributes['agenttrace.run.origin'] != '', SpanAttributes['agenttrace.run.origin'], 'root')) AS origin,
    max(SpanAttributes['agenttrace.run.origin_id']) AS origin_run_id,
    max(SpanAttributes['agenttrace.run.parent_id']) AS parent_run_id,
    max({{fragment run_status_v1}}) AS status,
    max(Timestamp) AS started_at,
    max(Duration / 1e6) AS duration_ms,
    -- The run's first failure: its attributes, else its first agenttrace.failure event.
    max(if(SpanAttributes['agenttrace.failure.type'] != '', SpanAttributes['agenttrace.failure.type'],
        Events.Attributes[indexOf(Events.Name, 'agenttrace.failure')]['agenttrace.failure.type'])) AS own_failure_type,
    max(if(SpanAttributes['agenttrace.failure.code'] != '', SpanAttributes['agenttrace.failure.code'],
        Events.Attributes[indexOf(Events.Name, 'agenttrace.failure')]['agenttrace.failure.code'])) AS own_failure_code,
    max(if(SpanAttributes['agenttrace.failure.step'] != '', SpanAttributes['agenttrace.failure.step'],
        Events.Attributes[indexOf(Events.Name, 'agenttrace.failure')]['agenttrace.failure.step'])) AS own_failure_step,
    max(if(error_text != '' OR http_status != 0, {{fragment failure_code_v1}}, '')) AS classified_code,
    toUInt64(sum(countEqual(Events.Name, 'agenttrace.failure'))) AS failure_count,
    argMinStateIf(tuple('', '', ''), Timestamp, false) AS first_failure
FROM (
    SELECT
        *,
        {{fragment run_id_v1}} AS run_id,
        'orchestration' AS step_type,
        {{fragment error_text_v1}} AS error_text,
        toUInt16OrZero(SpanAttributes['http.response.status_code']) AS http_status
    FROM {{local otel_traces}}
    WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
)
GROUP BY run_id
