-- The query views again, unchanged in what they answer, with:
-- * SETTINGS query_plan_text_index_add_hint = 0 where the server has
--   it. On the contrib spans table with text skip indexes (what the collector
--   contrib clickhouseexporter creates on ClickHouse >= 26.2) that planner
--   optimisation fails the views' filters with NOT_FOUND_COLUMN_IN_BLOCK
--   (agent_failures, failure filters on agent_steps, agent_feedback). On a
--   cluster also distributed_product_mode = 'global'.
-- * GLOBAL (on a cluster) before every IN / JOIN whose right side reads a Distributed
--   table, so on a cluster the right side is read once, from every shard, and
--   sent to the shards (GLOBAL IN / GLOBAL JOIN) instead of each shard
--   joining with only its own rows. On a single node the views are as before.
-- docs/schema.md (Cluster mode, contrib table variants) and docs/scale.md.

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
        WHERE own_run_id = '' AND trace_id {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
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
            AND TraceId {{global}} IN (SELECT TraceId FROM {{table agent_foreign_traces}})
    ),
    attached AS (
        SELECT o.span_id AS span_id, argMax(r.run_id, (r.run_span_id = o.parent_span_id, r.run_start_ns)) AS run_id
        FROM foreign_steps AS o
        {{global}} INNER JOIN foreign_runs AS r ON o.trace_id = r.trace_id
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
    {{global}} LEFT JOIN attached AS a ON s.span_id = a.span_id
)
{{view_settings}};

-- One row per run span (gen_ai.operation.name = invoke_agent; run_id is
-- agenttrace.run.id, else the span id), with its steps rolled up.
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
        -- Steps of other instrumentations, attached to their run at query time.
        SELECT
            run_id, min(started_at) AS seen_at, 0 AS is_run, '' AS trace_id, '' AS span_id, '' AS agent,
            '' AS agent_version, '' AS service, '' AS environment, '' AS variant, '' AS prompt_template,
            '' AS prompt_version, '' AS origin, '' AS origin_run_id, '' AS parent_run_id, '' AS status,
            toDateTime64(0, 9) AS started_at, 0 AS duration_ms, '' AS own_failure_type,
            '' AS own_failure_code, '' AS own_failure_step, '' AS classified_code,
            toUInt64(0) AS failure_count, count() AS step_count, countIf(attempt > 1) AS retry_count,
            countIf(failure_code != '') AS failed_step_count, countIf(step_type = 'tool') AS tool_step_count,
            countIf(step_type = 'model') AS model_step_count,
            argMinStateIf(tuple(failure_type, failure_code, step_name), started_at, failure_code != '') AS first_failure,
            sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cached_tokens) AS cached,
            tuple('') AS key, toDateTime64(0, 9) AS bucket, 0 AS i, sum(ifNull(cost_usd, 0)) AS cost_usd
        FROM {{table agent_steps}}
        WHERE run_link = 'inferred' AND run_id != ''
        GROUP BY run_id
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
{{global}} LEFT JOIN runs AS r ON s.run_id = r.run_id
WHERE s.failure_code != ''
{{view_settings}};

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
    {{global}} LEFT JOIN runs AS l ON f.linked_span_id = l.run_span_id
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
{{global}} LEFT JOIN runs AS r ON f.run_id = r.run_id
{{view_settings}};

-- Per hour, service, environment, agent, version and variant: runs, their
-- outcome and latency, and the steps, retries, tokens and cost of the steps
-- that carried the same agent, version and variant.
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
    FROM {{table agent_run_stats}}
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

-- Run spans only, without their steps: cheap to filter, sort and page, e.g.
-- to pick the run ids of a list page before reading them from agent_runs.
CREATE OR REPLACE VIEW {{table agent_run_index}} {{on_cluster}} AS
SELECT run_id, trace_id, started_at, duration_ms, agent, agent_version, variant, status, origin,
    service, environment
FROM {{table agent_run_facts}}
WHERE is_run = 1
{{view_settings}};

-- Per hour, agent, version, variant, step type, model and provider: step
-- counts, step success rate and latency, tokens and cost (NULL for a model
-- without a price; steps that call no model have model '').
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
        countMerge(steps) AS steps,
        sum(retries) AS retries,
        sum(failed_steps) AS failed_steps,
        quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency,
        quantilesMerge(0.5, 0.95)(time_to_first_chunk) AS ttfc,
        sum(input_tokens) AS input,
        sum(output_tokens) AS output,
        sum(cached_tokens) AS cached,
        tuple(model) AS key,
        {{fragment price_index_v1}} AS i,
        {{fragment priced_cost_v1}} AS cost
    FROM {{table agent_step_stats}}
    GROUP BY bucket, service, environment, agent, agent_version, variant, step_type, model, provider
)
{{view_settings}};
