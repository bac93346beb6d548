-- Prices for embedding models and for cache writes.
--
-- * model_prices gains cache_write_per_mtok, the price of a million input
--   tokens written to the prompt cache; NULL (the default, and every
--   provider without a cache-write charge, e.g. OpenAI) bills them at the
--   input rate as before. Anthropic's rows get 1.25x their input price (the
--   5-minute cache write; 1-hour writes, 2x, are not told apart by any
--   instrumentation), copied from the row in effect so that a price a user
--   corrected is kept; a row that already has a cache-write price is left.
-- * Embedding models get list prices (USD per million input tokens,
--   standard tier): OpenAI text-embedding-3-small 0.02, -3-large 0.13,
--   text-embedding-ada-002 0.10. Inserted only when the store has no row
--   for the model, so a user's own row wins.
-- * agent_steps (0021, carried unchanged otherwise) prices a step's cache
--   writes at the cache-write rate (fragments price_list_v2, priced_cost_v2);
--   agent_runs sums the cost of other instrumentations' steps from it. The
--   hourly rollup (agent_stats) keeps no cache-write tokens and still prices
--   them at the input rate. docs/schema.md (Prices).

ALTER TABLE {{table model_prices}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS cache_write_per_mtok Nullable(Float64) AFTER cached_input_per_mtok;

INSERT INTO {{table model_prices}}
    (provider, model, input_per_mtok, output_per_mtok, cached_input_per_mtok, effective_from, cache_write_per_mtok)
SELECT provider, model, input_per_mtok, output_per_mtok, cached_input_per_mtok, effective_from,
    round(input_per_mtok * 1.25, 6)
FROM {{table model_prices}} FINAL
WHERE provider = 'anthropic' AND cache_write_per_mtok IS NULL;

INSERT INTO {{table model_prices}} (provider, model, input_per_mtok, output_per_mtok, cached_input_per_mtok)
SELECT provider, model, input_per_mtok, output_per_mtok, cached_input_per_mtok
FROM (
    SELECT 'openai' AS provider, 'text-embedding-3-small' AS model, 0.02 AS input_per_mtok,
        0.0 AS output_per_mtok, 0.02 AS cached_input_per_mtok
    UNION ALL SELECT 'openai', 'text-embedding-3-large', 0.13, 0.0, 0.13
    UNION ALL SELECT 'openai', 'text-embedding-ada-002', 0.10, 0.0, 0.10
)
WHERE model NOT IN (SELECT model FROM {{table model_prices}});

-- One row per step span (see 0021), cache writes priced at the cache-write rate.
CREATE OR REPLACE VIEW {{table agent_steps}} {{on_cluster}} AS
WITH
    {{fragment price_list_v2}} AS price_list,
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
            -- cache_creation was renamed cache_write: the new name, else the old (stores written before)
            if(SpanAttributes['gen_ai.usage.cache_write.input_tokens'] != '',
                toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_write.input_tokens']),
                toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_creation.input_tokens'])) AS cache_creation_tokens,
            cache_creation_tokens AS written,
            -- a handoff (the GenAI transfer refinement of execute_tool)
            SpanAttributes['gen_ai.transfer.mode'] AS transfer_mode,
            SpanAttributes['gen_ai.transfer.target.name'] AS transfer_target,
            toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) * 1000 AS time_to_first_chunk_ms,
            -- Priced at the step's own start with the price then in effect.
            tuple({{fragment model_key_v1}}) AS key,
            toDateTime(Timestamp, 'UTC') AS bucket,
            {{fragment price_index_v1}} AS i,
            if(i = 0, NULL, {{fragment priced_cost_v2}}) AS cost_usd,
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
    if(duplicate_of = '', cache_creation_tokens, 0) AS cache_write_tokens,
    time_to_first_chunk_ms,
    if(duplicate_of = '', cost_usd, 0) AS cost_usd,
    error_text AS error_type, http_status, failure_type, failure_code,
    service, environment, run_link, duplicate_of, transfer_mode, transfer_target
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
