-- Runs: one row per run span with its steps rolled up.
--
-- Two materialized views fold run spans and agenttrace step spans, as they
-- are inserted, into agent_run_facts: one row per (run_id, priced model)
-- that merges (AggregatingMergeTree) whichever arrives first, so reading a
-- run by id touches a few rows and listing runs aggregates one small row per
-- run instead of joining spans. Tokens stay per model and are priced when
-- read, so a price correction re-prices history. Steps of other
-- instrumentations are added at query time from agent_steps (their run is
-- only known by looking at the trace).
CREATE TABLE IF NOT EXISTS {{local agent_run_facts}} {{on_cluster}} (
    run_id String,
    model LowCardinality(String),
    seen_at SimpleAggregateFunction(min, DateTime64(9)),
    is_run SimpleAggregateFunction(max, UInt8),
    trace_id SimpleAggregateFunction(max, String),
    span_id SimpleAggregateFunction(max, String),
    agent SimpleAggregateFunction(max, LowCardinality(String)),
    agent_version SimpleAggregateFunction(max, LowCardinality(String)),
    service SimpleAggregateFunction(max, LowCardinality(String)),
    environment SimpleAggregateFunction(max, LowCardinality(String)),
    variant SimpleAggregateFunction(max, LowCardinality(String)),
    prompt_template SimpleAggregateFunction(max, LowCardinality(String)),
    prompt_version SimpleAggregateFunction(max, LowCardinality(String)),
    origin SimpleAggregateFunction(max, LowCardinality(String)),
    origin_run_id SimpleAggregateFunction(max, String),
    parent_run_id SimpleAggregateFunction(max, String),
    status SimpleAggregateFunction(max, LowCardinality(String)),
    started_at SimpleAggregateFunction(max, DateTime64(9)),
    duration_ms SimpleAggregateFunction(max, Float64),
    own_failure_type SimpleAggregateFunction(max, LowCardinality(String)),
    own_failure_code SimpleAggregateFunction(max, LowCardinality(String)),
    own_failure_step SimpleAggregateFunction(max, String),
    classified_code SimpleAggregateFunction(max, LowCardinality(String)),
    failure_count SimpleAggregateFunction(sum, UInt64),
    step_count SimpleAggregateFunction(sum, UInt64),
    retry_count SimpleAggregateFunction(sum, UInt64),
    failed_step_count SimpleAggregateFunction(sum, UInt64),
    tool_step_count SimpleAggregateFunction(sum, UInt64),
    model_step_count SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cached_tokens SimpleAggregateFunction(sum, UInt64),
    -- (failure type, code, step name) of the earliest failed step
    first_failure AggregateFunction(argMin, Tuple(String, String, String), DateTime64(9))
) ENGINE = {{engine AggregatingMergeTree()}}
ORDER BY (run_id, model)
{{ttl toDateTime(seen_at)}};

{{distributed agent_run_facts cityHash64(run_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_run_facts_runs_mv}} {{on_cluster}}
TO {{local agent_run_facts}}
AS {{fragment run_facts_from_runs_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_run_facts}} (
    run_id, model, seen_at, is_run, trace_id, span_id, agent, agent_version, service, environment,
    variant, prompt_template, prompt_version, origin, origin_run_id, parent_run_id, status, started_at,
    duration_ms, own_failure_type, own_failure_code, own_failure_step, classified_code, failure_count,
    first_failure)
{{fragment run_facts_from_runs_v1}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_run_facts_steps_mv}} {{on_cluster}}
TO {{local agent_run_facts}}
AS {{fragment run_facts_from_steps_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_run_facts}} (
    run_id, model, seen_at, step_count, retry_count, failed_step_count, tool_step_count,
    model_step_count, input_tokens, output_tokens, cached_tokens, first_failure)
{{fragment run_facts_from_steps_v1}};

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
FROM unpacked;

-- Run spans only, without their steps: cheap to filter, sort and page, e.g.
-- to pick the run ids of a list page before reading them from agent_runs.
CREATE OR REPLACE VIEW {{table agent_run_index}} {{on_cluster}} AS
SELECT run_id, trace_id, started_at, duration_ms, agent, agent_version, variant, status, origin,
    service, environment
FROM {{table agent_run_facts}}
WHERE is_run = 1;
