-- SELECT of agent_signal_run_flags_mv (0032), shared with its one-off
-- backfill: per run and day of one insert (the same groups as
-- signal_facts_v1), the run span's fields and what each signal rule needs,
-- computed from the insert's steps in start order with the expressions of
-- agent_signals_window (0024), so a query reads the answer instead of the
-- steps. Exact for a row folded from one insert (inserts = 1); a row merged
-- from several keeps the bounds of 0023 (loop_bound, max_attempt,
-- failed_model_steps), and the view reads such runs' steps instead.
--
-- loops:  (name, start times) of each streak of 2 or more same-name first
--         attempts; loop fires at length >= N, detected at the Nth start.
-- storms: (name, highest attempt, latest start of the name) of each step
--         name tried 2 or more times.
-- switches, providers, last_model_at: provider switches right after a failed
--         model step, the providers in order ('' without a switch), the start
--         of the last model step.
SELECT
    day, run_id, toUInt64(1) AS inserts, is_run, agent, agent_version, variant, service, environment,
    origin, parent_run_id, status, started_at, duration_ms, tokens,
    toUInt64(if(empty(firsts), 0, arrayMax(arrayMap(c -> length(c), chunks)))) AS loop_bound,
    max_attempt, failed_model_steps,
    arrayMap(c -> tuple(c[1].3, arrayMap(x -> x.1, c)), arrayFilter(c -> length(c) >= 2, chunks)) AS loops,
    if(max_attempt < 2, [],
        arrayFilter(t -> t.2 >= 2,
            arrayMap(n -> tuple(n,
                    arrayMax(arrayMap(x -> x.4, arrayFilter(x -> x.3 = n, ordered))),
                    arrayMax(arrayMap(x -> x.1, arrayFilter(x -> x.3 = n, ordered)))),
                arrayDistinct(arrayMap(x -> x.3, ordered))))) AS storms,
    toUInt32(arrayCount((x, i) -> i > 1 AND x.6 != models[i - 1].6 AND models[i - 1].7 = 1, models,
        arrayEnumerate(models))) AS switches,
    if(switches = 0, '',
        arrayStringConcat(arrayMap(x -> x.6, arrayFilter((x, i) -> i = 1 OR x.6 != models[i - 1].6,
            models, arrayEnumerate(models))), ' > ')) AS providers,
    if(empty(models), toDateTime64(0, 9), models[length(models)].1) AS last_model_at
FROM (
    SELECT
        *,
        arrayFilter(x -> x.4 = 1, ordered) AS firsts,
        arraySplit((x, i) -> i = 1 OR x.3 != firsts[i - 1].3, firsts, arrayEnumerate(firsts)) AS chunks,
        arrayFilter(x -> x.5 = 'model' AND x.6 != '', ordered) AS models
    FROM (
        SELECT
            day, run_id,
            toUInt8(max(is_run_span)) AS is_run,
            maxIf(SpanAttributes['gen_ai.agent.name'], is_run_span) AS agent,
            maxIf(SpanAttributes['gen_ai.agent.version'], is_run_span) AS agent_version,
            maxIf(SpanAttributes['agenttrace.variant'], is_run_span) AS variant,
            maxIf(toString(ServiceName), is_run_span) AS service,
            maxIf(ResourceAttributes['deployment.environment.name'], is_run_span) AS environment,
            maxIf(if(SpanAttributes['agenttrace.run.origin'] != '', SpanAttributes['agenttrace.run.origin'], 'root'),
                is_run_span) AS origin,
            -- the run a nested or forked run reports to: its parent, else its origin
            maxIf(if(SpanAttributes['agenttrace.run.parent_id'] != '', SpanAttributes['agenttrace.run.parent_id'],
                SpanAttributes['agenttrace.run.origin_id']), is_run_span) AS parent_run_id,
            maxIf({{fragment run_status_v1}}, is_run_span) AS status,
            maxIf(Timestamp, is_run_span) AS started_at,
            maxIf(Duration / 1e6, is_run_span) AS duration_ms,
            maxIf(attempt, NOT is_run_span) AS max_attempt,
            toUInt64(countIf(NOT is_run_span AND step_type = 'model' AND provider != '' AND failed)) AS failed_model_steps,
            toUInt64(sumIf(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])
                + toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']), NOT is_run_span)) AS tokens,
            -- (start, seq, name, attempt, type, provider, failed) of each step, in start order
            arraySort(x -> (x.1, x.2), groupArrayIf(CAST(tuple(Timestamp, seq, step_name, attempt, step_type, provider, failed),
                'Tuple(DateTime64(9), UInt32, String, UInt32, String, String, UInt8)'), NOT is_run_span)) AS ordered
        FROM (
            SELECT
                *,
                toDate(Timestamp) AS day,
                SpanAttributes['gen_ai.operation.name'] = 'invoke_agent' AS is_run_span,
                if(is_run_span, {{fragment run_id_v1}}, SpanAttributes['agenttrace.run.id']) AS run_id,
                toUInt32OrZero(SpanAttributes['agenttrace.step.seq']) AS seq,
                toString(multiIf(
                    SpanAttributes['agenttrace.step.name'] != '', SpanAttributes['agenttrace.step.name'],
                    SpanAttributes['gen_ai.tool.name'] != '', SpanAttributes['gen_ai.tool.name'],
                    SpanName)) AS step_name,
                greatest(toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']), 1) AS attempt,
                toString({{fragment step_type_v1}}) AS step_type,
                SpanAttributes['gen_ai.provider.name'] AS provider,
                toUInt8({{fragment is_error_v1}} OR SpanAttributes['agenttrace.failure.type'] != ''
                    OR SpanAttributes['agenttrace.failure.code'] != '') AS failed
            FROM {{local otel_traces}}
            WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
                OR (SpanAttributes['agenttrace.run.id'] != '' AND {{fragment is_step_v1}})
        )
        GROUP BY day, run_id
    )
)
