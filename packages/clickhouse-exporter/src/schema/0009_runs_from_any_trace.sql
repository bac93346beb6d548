-- Runs from any trace, and a model call seen twice counted once.
--
-- * A trace with step spans but no run span (no gen_ai.operation.name =
--   invoke_agent, no agenttrace.run.id anywhere in it), e.g. OpenLLMetry or
--   OpenInference around a provider client, or a provider SDK's own GenAI
--   spans, is a run of its own: agent_trace_runs, one row per such trace,
--   run_id = the trace id (lower-case hex). Its steps carry that run_id with
--   run_link = 'trace'; agent_runs, agent_run_index, agent_failures and
--   agent_stats_hourly read it. A trace that has a run span is unchanged.
-- * A run of a trace is named (agent) by the first of: the gen_ai.agent.name
--   of its outermost invoke_workflow span (Traceloop workflow, OpenInference
--   CHAIN with a name), the earliest gen_ai.agent.name any span carries
--   (traceloop.workflow.name / traceloop.entity.name, the AI SDK's
--   ai.telemetry.functionId, OpenInference agent.name, as the allowlist maps
--   them), the root span's name unless it is '', 'redacted' or the name of
--   a step (a model or tool call names a call, not a run), the root span's
--   service.name.
-- * Its status: 'failure' when the root span is an error, else 'partial'
--   when a step failed, else 'success'.
-- * Counted once: a model step of another instrumentation (no
--   agenttrace.run.id) nested directly in a model step of the same trace,
--   for the same model (or either without a model), is a duplicate of it:
--   agent_steps keeps the row with duplicate_of = the outer span id and its
--   tokens and cost set to 0, and runs do not count it as a step. The SDK's
--   processor marks the same case agenttrace.step.duplicate_of, which is
--   trusted as is (it sees the parent even when the parent is not stored).
-- docs/schema.md (Runs from any trace, Counted once).

-- One row per step span (see 0008), now with duplicate_of, and steps of a
-- trace without a run span attached to the trace's own run.
CREATE OR REPLACE VIEW {{table agent_steps}} {{on_cluster}} AS
WITH
    {{fragment price_list_v1}} AS price_list,
    steps AS (
        SELECT
            TraceId AS trace_id,
            SpanId AS span_id,
            ParentSpanId AS parent_span_id,
            SpanAttributes['agenttrace.run.id'] AS own_run_id,
            SpanAttributes['agenttrace.step.duplicate_of'] AS marked_duplicate_of,
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
    -- Steps of other instrumentations (no agenttrace.run.id): the only part that needs a join.
    foreign_steps AS (
        SELECT * FROM steps
        WHERE own_run_id = '' AND trace_id {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
    ),
    -- Per trace holding such steps: its run spans, its model steps (for
    -- duplicates) and whether it has a run at all.
    foreign_traces AS (
        SELECT
            TraceId AS trace_id,
            groupArrayIf((SpanId, {{fragment run_id_v1}}, toUnixTimestamp64Nano(Timestamp),
                toUnixTimestamp64Nano(Timestamp) + Duration),
                SpanAttributes['gen_ai.operation.name'] = 'invoke_agent') AS runs,
            groupArrayIf(SpanId, model_step) AS model_span_ids,
            groupArrayIf(model_name, model_step) AS model_names,
            max(SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
                OR SpanAttributes['agenttrace.run.id'] != '') AS has_run
        FROM (
            SELECT
                *,
                {{fragment is_step_v1}} AND {{fragment step_type_v1}} = 'model' AS model_step,
                replaceRegexpOne({{fragment model_key_v1}}, '^[a-z0-9_-]+/', '') AS model_name
            FROM {{table otel_traces}}
            WHERE TraceId {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
                AND (SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
                    OR SpanAttributes['agenttrace.run.id'] != '' OR {{fragment is_step_v1}})
        )
        GROUP BY TraceId
    ),
    attached AS (
        SELECT span_id, any(run_id) AS run_id, any(trace_run) AS trace_run, any(duplicate_of) AS duplicate_of
        FROM (
            SELECT
                o.span_id AS span_id,
                -- the run span that is the step's parent, else the innermost whose time range contains it
                arraySort(r -> (r.1 = o.parent_span_id, r.3),
                    arrayFilter(r -> r.1 != o.span_id
                        AND (r.1 = o.parent_span_id OR (r.3 <= o.start_ns AND r.4 >= o.end_ns)), t.runs)) AS candidates,
                multiIf(notEmpty(candidates), candidates[-1].2, t.has_run, '', lower(o.trace_id)) AS run_id,
                NOT t.has_run AS trace_run,
                indexOf(t.model_span_ids, o.parent_span_id) AS parent_model,
                replaceRegexpOne(o.key.1, '^[a-z0-9_-]+/', '') AS own_model,
                multiIf(o.marked_duplicate_of != '', o.marked_duplicate_of,
                    o.step_type = 'model' AND parent_model != 0
                        AND (own_model = '' OR t.model_names[parent_model] = ''
                            OR own_model = t.model_names[parent_model]),
                    o.parent_span_id, '') AS duplicate_of
            FROM foreign_steps AS o
            {{global}} INNER JOIN foreign_traces AS t ON o.trace_id = t.trace_id
        )
        GROUP BY span_id
    )
SELECT
    run_id, trace_id, span_id, parent_span_id, step_type, step_name, operation, attempt, max_attempts, seq,
    started_at, duration_ms, status, model, provider, tool,
    if(duplicate_of = '', input, 0) AS input_tokens,
    if(duplicate_of = '', output, 0) AS output_tokens,
    if(duplicate_of = '', cached, 0) AS cached_tokens,
    if(duplicate_of = '', cache_creation_tokens, 0) AS cache_creation_tokens,
    time_to_first_chunk_ms,
    if(duplicate_of = '', cost_usd, 0) AS cost_usd,
    error_text AS error_type, http_status, failure_type, failure_code,
    service, environment, run_link, duplicate_of
FROM (
    SELECT own_run_id AS run_id, 'attribute' AS run_link, '' AS duplicate_of,
        * EXCEPT (own_run_id, marked_duplicate_of)
    FROM steps WHERE own_run_id != ''
    UNION ALL
    SELECT a.run_id AS run_id, if(a.trace_run, 'trace', 'inferred') AS run_link, a.duplicate_of AS duplicate_of,
        s.* EXCEPT (own_run_id, marked_duplicate_of)
    FROM foreign_steps AS s
    {{global}} LEFT JOIN attached AS a ON s.span_id = a.span_id
)
{{view_settings}};

-- One row per trace that has step spans but no run span: the run the trace
-- itself is (see the top of this file for its name and status).
CREATE OR REPLACE VIEW {{table agent_trace_runs}} {{on_cluster}} AS
SELECT
    lower(trace_id) AS run_id,
    trace_id,
    root.1 AS span_id,
    multiIf(workflow_agent != '', workflow_agent,
        any_agent != '', any_agent,
        root.2 NOT IN ('', 'redacted') AND NOT root.6, root.2,
        root.3) AS agent,
    root.3 AS service,
    root.4 AS environment,
    multiIf(root.5, 'failure', failed_steps > 0, 'partial', 'success') AS status,
    started_at,
    (end_ns - toUnixTimestamp64Nano(started_at)) / 1e6 AS duration_ms
FROM (
    SELECT
        TraceId AS trace_id,
        -- the root: the span without a parent, else the earliest
        argMin((SpanId, SpanName, ServiceName, ResourceAttributes['deployment.environment.name'],
            {{fragment is_error_v1}}, {{fragment is_step_v1}}), (ParentSpanId != '', Timestamp)) AS root,
        argMinIf(SpanAttributes['gen_ai.agent.name'], (ParentSpanId != '', Timestamp),
            SpanAttributes['gen_ai.operation.name'] = 'invoke_workflow'
                AND SpanAttributes['gen_ai.agent.name'] != '') AS workflow_agent,
        argMinIf(SpanAttributes['gen_ai.agent.name'], Timestamp, SpanAttributes['gen_ai.agent.name'] != '') AS any_agent,
        min(Timestamp) AS started_at,
        max(toUnixTimestamp64Nano(Timestamp) + Duration) AS end_ns,
        countIf({{fragment is_step_v1}}) AS step_spans,
        countIf({{fragment is_step_v1}} AND ({{fragment is_error_v1}}
            OR SpanAttributes['agenttrace.failure.type'] != ''
            OR SpanAttributes['agenttrace.failure.code'] != '')) AS failed_steps,
        max(SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
            OR SpanAttributes['agenttrace.run.id'] != '') AS has_run
    FROM {{table otel_traces}}
    WHERE TraceId {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
    GROUP BY TraceId
    HAVING has_run = 0 AND step_spans > 0
)
{{view_settings}};

-- One row per run (see 0008): run spans, and now the runs of traces without one.
CREATE OR REPLACE VIEW {{table agent_runs}} {{on_cluster}} AS
WITH
    {{fragment price_list_v1}} AS price_list,
    facts AS (
        SELECT
            * EXCEPT (model, input_tokens, output_tokens, cached_tokens),
            input_tokens AS input, output_tokens AS output, cached_tokens AS cached,
            tuple(model) AS key, seen_at AS bucket,
            if(model = '', 0, {{fragment price_index_v1}}) AS i,
            {{fragment priced_cost_v1}} AS cost_usd
        FROM {{table agent_run_facts}}
        UNION ALL
        -- Steps of other instrumentations, attached to their run at query
        -- time; a duplicate (a model call seen twice) is not a step of its own.
        SELECT
            run_id, min(started_at) AS seen_at, 0 AS is_run, '' AS trace_id, '' AS span_id, '' AS agent,
            '' AS agent_version, '' AS service, '' AS environment, '' AS variant, '' AS prompt_template,
            '' AS prompt_version, '' AS origin, '' AS origin_run_id, '' AS parent_run_id, '' AS status,
            toDateTime64(0, 9) AS started_at, 0 AS duration_ms, '' AS own_failure_type,
            '' AS own_failure_code, '' AS own_failure_step, '' AS classified_code,
            toUInt64(0) AS failure_count, countIf(duplicate_of = '') AS step_count,
            countIf(attempt > 1 AND duplicate_of = '') AS retry_count,
            countIf(failure_code != '' AND duplicate_of = '') AS failed_step_count,
            countIf(step_type = 'tool' AND duplicate_of = '') AS tool_step_count,
            countIf(step_type = 'model' AND duplicate_of = '') AS model_step_count,
            argMinStateIf(tuple(failure_type, failure_code, step_name), started_at, failure_code != '') AS first_failure,
            sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cached_tokens) AS cached,
            tuple('') AS key, toDateTime64(0, 9) AS bucket, 0 AS i, sum(ifNull(cost_usd, 0)) AS cost_usd
        FROM {{table agent_steps}}
        WHERE run_link IN ('inferred', 'trace') AND run_id != ''
        GROUP BY run_id
        UNION ALL
        -- The run of each trace without a run span.
        SELECT
            run_id, started_at AS seen_at, 1 AS is_run, trace_id, span_id, agent,
            '' AS agent_version, service, environment, '' AS variant, '' AS prompt_template,
            '' AS prompt_version, 'root' AS origin, '' AS origin_run_id, '' AS parent_run_id, status,
            started_at, duration_ms, '' AS own_failure_type,
            '' AS own_failure_code, '' AS own_failure_step, '' AS classified_code,
            toUInt64(0) AS failure_count, toUInt64(0) AS step_count, toUInt64(0) AS retry_count,
            toUInt64(0) AS failed_step_count, toUInt64(0) AS tool_step_count, toUInt64(0) AS model_step_count,
            argMinStateIf(tuple('', '', ''), started_at, false) AS first_failure,
            toUInt64(0) AS input, toUInt64(0) AS output, toUInt64(0) AS cached,
            tuple('') AS key, toDateTime64(0, 9) AS bucket, 0 AS i, toFloat64(0) AS cost_usd
        FROM {{table agent_trace_runs}}
        -- one row per run; grouped only so first_failure can be an empty state
        GROUP BY run_id, trace_id, span_id, agent, service, environment, status, started_at, duration_ms
    ),
    rolled AS (
        SELECT
            run_id,
            max(is_run) AS has_run,
            -- The run row's attributes, taken together (one aggregate, not one per column).
            argMax(tuple(trace_id, span_id, agent, agent_version, service, environment, variant,
                prompt_template, prompt_version, origin, origin_run_id, parent_run_id, status,
                started_at, duration_ms, own_failure_type, own_failure_code, own_failure_step,
                classified_code), is_run) AS run,
            sum(failure_count) AS failures,
            sum(step_count) AS steps,
            sum(retry_count) AS retries,
            sum(failed_step_count) AS failed_steps,
            sum(tool_step_count) AS tool_steps,
            sum(model_step_count) AS model_steps,
            sum(input) AS input_tokens,
            sum(output) AS output_tokens,
            sum(cached) AS cached_tokens,
            sum(cost_usd) AS cost,
            argMinMerge(first_failure) AS first_failure_merged
        FROM facts
        GROUP BY run_id
        HAVING has_run = 1
    ),
    unpacked AS (
        SELECT
            * EXCEPT (run),
            run.1 AS trace_id, run.2 AS span_id, run.3 AS agent, run.4 AS agent_version,
            run.5 AS service, run.6 AS environment, run.7 AS variant, run.8 AS prompt_template,
            run.9 AS prompt_version, run.10 AS origin, run.11 AS origin_run_id, run.12 AS parent_run_id,
            run.13 AS status, run.14 AS run_started_at, run.15 AS run_duration_ms,
            run.16 AS own_failure_type, run.17 AS own_failure_code, run.18 AS own_failure_step,
            run.19 AS classified_code
        FROM rolled
    )
SELECT
    run_id, trace_id, span_id, agent, agent_version, service, environment, variant,
    prompt_template, prompt_version, origin, origin_run_id, parent_run_id, status,
    run_started_at AS started_at, run_duration_ms AS duration_ms,
    steps AS step_count, retries AS retry_count, failed_steps AS failed_step_count,
    tool_steps AS tool_step_count, model_steps AS model_step_count,
    input_tokens, output_tokens, cached_tokens, cost AS cost_usd,
    multiIf(own_failure_type != '', own_failure_type,
        status = 'success', '',
        classified_code NOT IN ('', 'error'), 'orchestration',
        first_failure_merged.1 != '', first_failure_merged.1,
        'orchestration') AS failure_type,
    multiIf(own_failure_code != '', own_failure_code,
        status = 'success', '',
        classified_code NOT IN ('', 'error'), classified_code,
        first_failure_merged.2 != '', first_failure_merged.2,
        'error') AS failure_code,
    multiIf(own_failure_step != '', own_failure_step,
        status = 'success' OR classified_code NOT IN ('', 'error'), '',
        first_failure_merged.3) AS failure_step,
    failures AS failure_count
FROM unpacked
{{view_settings}};

-- Runs without their steps (see 0008), the runs of traces without a run span included.
CREATE OR REPLACE VIEW {{table agent_run_index}} {{on_cluster}} AS
SELECT * FROM (
    SELECT run_id, trace_id, started_at, duration_ms, agent, agent_version, variant, status, origin,
        service, environment
    FROM {{table agent_run_facts}}
    WHERE is_run = 1
    UNION ALL
    SELECT run_id, trace_id, started_at, duration_ms, agent, '' AS agent_version, '' AS variant, status,
        'root' AS origin, service, environment
    FROM {{table agent_trace_runs}}
)
{{view_settings}};

-- Classified failures (see 0006, 0008); a step of a trace's own run takes its agent from that run.
CREATE OR REPLACE VIEW {{table agent_failures}} {{on_cluster}} AS
WITH runs AS (
    SELECT
        {{fragment run_id_v1}} AS run_id,
        SpanAttributes['gen_ai.agent.name'] AS agent,
        SpanAttributes['gen_ai.agent.version'] AS agent_version,
        SpanAttributes['agenttrace.variant'] AS variant
    FROM {{table otel_traces}}
    WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
    UNION ALL
    SELECT run_id, agent, '' AS agent_version, '' AS variant
    FROM {{table agent_trace_runs}}
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
{{global}} LEFT JOIN runs AS r ON s.run_id = r.run_id
WHERE s.failure_code != ''
{{view_settings}};

-- Steps the SDK's processor marked as a duplicate (agenttrace.step.duplicate_of),
-- per hour and the keys of agent_step_stats, so agent_stats can take them out
-- of the step rollup (an insert-time view cannot see a span's parent, so the
-- unmarked nested case is counted once only in agent_steps and agent_runs).
CREATE TABLE IF NOT EXISTS {{local agent_step_duplicate_stats}} {{on_cluster}} (
    bucket DateTime('UTC'),
    service LowCardinality(String),
    environment LowCardinality(String),
    agent LowCardinality(String),
    agent_version LowCardinality(String),
    variant LowCardinality(String),
    step_type LowCardinality(String),
    model LowCardinality(String),
    provider LowCardinality(String),
    steps SimpleAggregateFunction(sum, UInt64),
    failed_steps SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cached_tokens SimpleAggregateFunction(sum, UInt64)
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, service, environment, agent, agent_version, variant, step_type, model, provider)
{{ttl bucket}};

{{distributed agent_step_duplicate_stats rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_step_duplicate_stats_mv}} {{on_cluster}}
TO {{local agent_step_duplicate_stats}}
AS SELECT
    toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
    ServiceName AS service,
    ResourceAttributes['deployment.environment.name'] AS environment,
    SpanAttributes['gen_ai.agent.name'] AS agent,
    SpanAttributes['gen_ai.agent.version'] AS agent_version,
    SpanAttributes['agenttrace.variant'] AS variant,
    {{fragment step_type_v1}} AS step_type,
    {{fragment model_key_v1}} AS model,
    SpanAttributes['gen_ai.provider.name'] AS provider,
    count() AS steps,
    toUInt64(countIf({{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
        OR SpanAttributes['agenttrace.failure.code'] != '')) AS failed_steps,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])) AS input_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens'])) AS output_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens'])) AS cached_tokens
FROM {{local otel_traces}}
WHERE SpanAttributes['agenttrace.step.duplicate_of'] != '' AND {{fragment is_step_v1}}
GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider;

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_step_duplicate_stats}} (
    bucket, service, environment, agent, agent_version, variant, step_type, model, provider,
    steps, failed_steps, input_tokens, output_tokens, cached_tokens)
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
    count() AS steps,
    toUInt64(countIf({{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
        OR SpanAttributes['agenttrace.failure.code'] != '')) AS failed_steps,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])) AS input_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens'])) AS output_tokens,
    sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens'])) AS cached_tokens
FROM {{local otel_traces}}
WHERE SpanAttributes['agenttrace.step.duplicate_of'] != '' AND {{fragment is_step_v1}}
GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider;

-- Per hour, agent, version, variant, step type, model and provider (see
-- 0007, 0008), without the steps, failures and tokens of marked duplicates.
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
    )
    GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
)
{{view_settings}};

-- Per hour (see 0007, 0008); runs now include the runs of traces without a
-- run span (agent_version and variant '').
CREATE OR REPLACE VIEW {{table agent_stats_hourly}} {{on_cluster}} AS
SELECT
    bucket, service, environment, agent, agent_version, variant,
    r.runs AS runs, r.successes AS successes, r.failures AS failures, r.partials AS partials,
    if(r.runs = 0, NULL, r.successes / r.runs) AS success_rate,
    r.latency[1] AS p50_ms, r.latency[2] AS p95_ms, r.latency[3] AS p99_ms,
    if(r.runs = 0, NULL, r.duration_sum_ms / r.runs) AS avg_ms,
    s.step_count AS steps, s.retries AS retries, s.failed_steps AS failed_steps,
    s.tool_steps AS tool_steps, s.model_steps AS model_steps,
    s.input_tokens AS input_tokens, s.output_tokens AS output_tokens, s.cached_tokens AS cached_tokens,
    s.cost_usd AS cost_usd
FROM (
    SELECT
        bucket, service, environment, agent, agent_version, variant,
        countMerge(runs) AS runs,
        sum(successes) AS successes,
        sum(failures) AS failures,
        sum(partials) AS partials,
        sum(duration_sum_ms) AS duration_sum_ms,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency
    FROM (
        SELECT
            bucket, toString(service) AS service, toString(environment) AS environment,
            toString(agent) AS agent, toString(agent_version) AS agent_version,
            toString(variant) AS variant, runs, toUInt64(successes) AS successes,
            toUInt64(failures) AS failures, toUInt64(partials) AS partials,
            toFloat64(duration_sum_ms) AS duration_sum_ms, latency
        FROM {{table agent_run_stats}}
        UNION ALL
        SELECT
            toStartOfHour(toDateTime(started_at, 'UTC')) AS bucket, service, environment, agent,
            '' AS agent_version, '' AS variant, countState() AS runs,
            toUInt64(countIf(status = 'success')) AS successes,
            toUInt64(countIf(status = 'failure')) AS failures,
            toUInt64(countIf(status = 'partial')) AS partials,
            sum(duration_ms) AS duration_sum_ms,
            quantilesState(0.5, 0.95, 0.99)(duration_ms) AS latency
        FROM {{table agent_trace_runs}}
        GROUP BY bucket, service, environment, agent
    )
    GROUP BY bucket, service, environment, agent, agent_version, variant
) AS r
{{global}} FULL OUTER JOIN (
    SELECT
        bucket, service, environment, agent, agent_version, variant,
        sumIf(steps, step_type = 'tool') AS tool_steps,
        sumIf(steps, step_type = 'model') AS model_steps,
        sum(steps) AS step_count,
        sum(retries) AS retries,
        sum(failed_steps) AS failed_steps,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(cached_tokens) AS cached_tokens,
        sum(ifNull(cost_usd, 0)) AS cost_usd
    FROM {{table agent_stats}}
    GROUP BY bucket, service, environment, agent, agent_version, variant
) AS s USING (bucket, service, environment, agent, agent_version, variant)
{{view_settings}};
