-- Steps: one row per step span, agenttrace's and other instrumentations'.
-- Views compute at query time, so a price or rule correction applies to all
-- history.

-- Traces holding a step span of another instrumentation (no
-- agenttrace.run.id), so agent_steps joins only those traces to find their
-- runs instead of scanning every span. Filled on insert, backfilled once here.
CREATE TABLE IF NOT EXISTS {{local agent_foreign_traces}} {{on_cluster}} (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1))
) ENGINE = {{engine ReplacingMergeTree()}}
PARTITION BY toStartOfWeek(Start)
ORDER BY TraceId
{{ttl Start}};

{{distributed agent_foreign_traces cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_foreign_traces_mv}} {{on_cluster}}
TO {{local agent_foreign_traces}}
AS SELECT TraceId, min(toDateTime(Timestamp)) AS Start
FROM {{local otel_traces}}
WHERE SpanAttributes['agenttrace.run.id'] = '' AND {{fragment is_step_v1}}
GROUP BY TraceId;

INSERT INTO {{local agent_foreign_traces}}
SELECT TraceId, min(toDateTime(Timestamp)) AS Start
FROM {{local otel_traces}}
WHERE SpanAttributes['agenttrace.run.id'] = '' AND {{fragment is_step_v1}}
GROUP BY TraceId;

-- One row per step span: agenttrace steps and GenAI spans of other
-- instrumentations. A step without agenttrace.run.id belongs to the run span
-- of the same trace that is its direct parent, else to the innermost run span
-- of the same trace whose time range contains it (a cheap stand-in for the
-- nearest run ancestor; see docs/schema.md).
CREATE OR REPLACE VIEW {{table agent_steps}} {{on_cluster}} AS
WITH
    {{fragment price_list_v1}} AS price_list,
    steps AS (
        SELECT
            TraceId AS trace_id,
            SpanId AS span_id,
            ParentSpanId AS parent_span_id,
            SpanAttributes['agenttrace.run.id'] AS own_run_id,
            {{fragment step_type_v1}} AS step_type,
            multiIf(
                SpanAttributes['agenttrace.step.name'] != '', SpanAttributes['agenttrace.step.name'],
                SpanAttributes['gen_ai.tool.name'] != '', SpanAttributes['gen_ai.tool.name'],
                SpanName) AS step_name,
            SpanAttributes['gen_ai.operation.name'] AS operation,
            greatest(toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']), 1) AS attempt,
            greatest(toUInt32OrZero(SpanAttributes['agenttrace.step.max_attempts']), attempt) AS max_attempts,
            -- order of the step's start within its run (span start times are often whole milliseconds)
            toUInt32OrZero(SpanAttributes['agenttrace.step.seq']) AS seq,
            Timestamp AS started_at,
            toUnixTimestamp64Nano(Timestamp) AS start_ns,
            start_ns + Duration AS end_ns,
            Duration / 1e6 AS duration_ms,
            multiIf({{fragment is_error_v1}}, 'error', StatusCode IN ('Ok', 'STATUS_CODE_OK'), 'ok', 'unset') AS status,
            if(SpanAttributes['gen_ai.response.model'] != '', SpanAttributes['gen_ai.response.model'], SpanAttributes['gen_ai.request.model']) AS model,
            SpanAttributes['gen_ai.provider.name'] AS provider,
            SpanAttributes['gen_ai.tool.name'] AS tool,
            toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens']) AS input,
            toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']) AS output,
            toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cached,
            toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_creation.input_tokens']) AS cache_creation_tokens,
            toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) * 1000 AS time_to_first_chunk_ms,
            -- Priced at the step's own start with the price then in effect.
            tuple({{fragment model_key_v1}}) AS key,
            toDateTime(Timestamp, 'UTC') AS bucket,
            {{fragment price_index_v1}} AS i,
            if(i = 0, NULL, {{fragment priced_cost_v1}}) AS cost_usd,
            {{fragment error_text_v1}} AS error_text,
            toUInt16OrZero(SpanAttributes['http.response.status_code']) AS http_status,
            {{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
                OR SpanAttributes['agenttrace.failure.code'] != '' AS failed,
            if(NOT failed, '', if(SpanAttributes['agenttrace.failure.type'] != '',
                SpanAttributes['agenttrace.failure.type'], {{fragment failure_type_v1}})) AS failure_type,
            if(NOT failed, '', if(SpanAttributes['agenttrace.failure.code'] != '',
                SpanAttributes['agenttrace.failure.code'], {{fragment failure_code_v1}})) AS failure_code,
            ServiceName AS service,
            ResourceAttributes['deployment.environment.name'] AS environment
        FROM {{table otel_traces}}
        WHERE {{fragment is_step_v1}}
    ),
    -- Steps of other instrumentations (no agenttrace.run.id) and the run
    -- spans of their traces: the only part that needs a join.
    foreign_steps AS (
        SELECT * FROM steps
        WHERE own_run_id = '' AND trace_id IN (SELECT TraceId FROM {{table agent_foreign_traces}})
    ),
    foreign_runs AS (
        SELECT
            TraceId AS trace_id,
            SpanId AS run_span_id,
            {{fragment run_id_v1}} AS run_id,
            toUnixTimestamp64Nano(Timestamp) AS run_start_ns,
            run_start_ns + Duration AS run_end_ns
        FROM {{table otel_traces}}
        WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
            AND TraceId IN (SELECT TraceId FROM {{table agent_foreign_traces}})
    ),
    attached AS (
        SELECT o.span_id AS span_id, argMax(r.run_id, (r.run_span_id = o.parent_span_id, r.run_start_ns)) AS run_id
        FROM foreign_steps AS o
        INNER JOIN foreign_runs AS r ON o.trace_id = r.trace_id
        WHERE r.run_span_id != o.span_id
            AND (r.run_span_id = o.parent_span_id OR (r.run_start_ns <= o.start_ns AND r.run_end_ns >= o.end_ns))
        GROUP BY o.span_id
    )
SELECT
    run_id, trace_id, span_id, parent_span_id, step_type, step_name, operation, attempt, max_attempts, seq,
    started_at, duration_ms, status, model, provider, tool,
    input AS input_tokens, output AS output_tokens, cached AS cached_tokens, cache_creation_tokens,
    time_to_first_chunk_ms, cost_usd, error_text AS error_type, http_status, failure_type, failure_code,
    service, environment, run_link
FROM (
    SELECT own_run_id AS run_id, 'attribute' AS run_link, * EXCEPT (own_run_id) FROM steps WHERE own_run_id != ''
    UNION ALL
    SELECT a.run_id AS run_id, 'inferred' AS run_link, s.* EXCEPT (own_run_id)
    FROM foreign_steps AS s
    LEFT JOIN attached AS a ON s.span_id = a.span_id
);
