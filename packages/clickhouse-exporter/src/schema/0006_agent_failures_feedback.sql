-- Failures and feedback, read by the AgentTracer query API.

-- One row per classified failure. level = 'run': each agenttrace.failure
-- event of a run span, or, for a failed run that recorded none, the run's own
-- classification. level = 'step': each failed step span. A step failure the
-- SDK also records on its run appears at both levels; filter on level.
CREATE OR REPLACE VIEW {{table agent_failures}} {{on_cluster}} AS
WITH runs AS (
    SELECT
        {{fragment run_id_v1}} AS run_id,
        SpanAttributes['gen_ai.agent.name'] AS agent,
        SpanAttributes['gen_ai.agent.version'] AS agent_version,
        SpanAttributes['agenttrace.variant'] AS variant
    FROM {{table otel_traces}}
    WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
)
SELECT
    'run' AS level,
    {{fragment run_id_v1}} AS run_id,
    TraceId AS trace_id,
    SpanId AS span_id,
    SpanAttributes['gen_ai.agent.name'] AS agent,
    SpanAttributes['gen_ai.agent.version'] AS agent_version,
    SpanAttributes['agenttrace.variant'] AS variant,
    ServiceName AS service,
    ResourceAttributes['deployment.environment.name'] AS environment,
    '' AS step_type,
    event.2['agenttrace.failure.type'] AS failure_type,
    event.2['agenttrace.failure.code'] AS failure_code,
    event.2['agenttrace.failure.step'] AS failure_step,
    event.3 AS occurred_at
FROM {{table otel_traces}}
ARRAY JOIN arrayZip(Events.Name, Events.Attributes, Events.Timestamp) AS event
WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent' AND event.1 = 'agenttrace.failure'
UNION ALL
SELECT
    'run' AS level, run_id, trace_id, span_id, agent, agent_version, variant, service, environment,
    '' AS step_type, failure_type, failure_code, failure_step,
    started_at + toIntervalMicrosecond(toInt64(duration_ms * 1000)) AS occurred_at
FROM {{table agent_runs}}
WHERE status != 'success' AND failure_count = 0 AND failure_code != ''
UNION ALL
SELECT
    'step' AS level,
    s.run_id AS run_id,
    s.trace_id AS trace_id,
    s.span_id AS span_id,
    r.agent AS agent,
    r.agent_version AS agent_version,
    r.variant AS variant,
    s.service AS service,
    s.environment AS environment,
    s.step_type AS step_type,
    s.failure_type AS failure_type,
    s.failure_code AS failure_code,
    s.step_name AS failure_step,
    s.started_at + toIntervalMicrosecond(toInt64(s.duration_ms * 1000)) AS occurred_at
FROM {{table agent_steps}} AS s
LEFT JOIN runs AS r ON s.run_id = r.run_id
WHERE s.failure_code != '';

-- One row per feedback span (gen_ai.evaluation.*), tied to its run by
-- agenttrace.feedback.run_id, else by its first link to a run span.
CREATE OR REPLACE VIEW {{table agent_feedback}} {{on_cluster}} AS
WITH runs AS (
    SELECT
        {{fragment run_id_v1}} AS run_id,
        lower(SpanId) AS run_span_id,
        SpanAttributes['gen_ai.agent.name'] AS agent,
        SpanAttributes['gen_ai.agent.version'] AS agent_version,
        SpanAttributes['agenttrace.variant'] AS variant
    FROM {{table otel_traces}}
    WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
),
feedback AS (
    SELECT
        TraceId AS trace_id,
        SpanId AS span_id,
        SpanAttributes['agenttrace.feedback.run_id'] AS own_run_id,
        lower(Links.SpanId[1]) AS linked_span_id,
        if(SpanAttributes['gen_ai.evaluation.name'] != '', SpanAttributes['gen_ai.evaluation.name'],
            substring(SpanName, length('feedback ') + 1)) AS metric,
        toFloat64OrNull(SpanAttributes['gen_ai.evaluation.score.value']) AS score_value,
        SpanAttributes['gen_ai.evaluation.score.label'] AS score_label,
        Timestamp AS created_at,
        ServiceName AS service,
        ResourceAttributes['deployment.environment.name'] AS environment
    FROM {{table otel_traces}}
    WHERE SpanAttributes['gen_ai.evaluation.name'] != '' OR SpanName LIKE 'feedback %'
),
linked AS (
    SELECT f.*, if(f.own_run_id != '', f.own_run_id, l.run_id) AS run_id
    FROM feedback AS f
    LEFT JOIN runs AS l ON f.linked_span_id = l.run_span_id
)
SELECT
    f.run_id AS run_id,
    f.trace_id AS trace_id,
    f.span_id AS span_id,
    f.metric AS metric,
    f.score_value AS score_value,
    f.score_label AS score_label,
    f.created_at AS created_at,
    r.agent AS agent,
    r.agent_version AS agent_version,
    r.variant AS variant,
    f.service AS service,
    f.environment AS environment
FROM linked AS f
LEFT JOIN runs AS r ON f.run_id = r.run_id;
