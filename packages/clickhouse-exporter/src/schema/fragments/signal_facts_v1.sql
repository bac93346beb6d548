-- SELECT of agent_signal_run_facts_mv, shared with its one-off backfill: per
-- run and day of one insert, the run span's agent, status, origin, parent,
-- start and duration, and the steps as a sequence (start, seq, name,
-- attempt, type, provider, failed) with the bounds the signal views use to
-- skip runs that cannot fire. loop_bound is the longest run of same-name
-- first attempts in this insert; summed over inserts it is at least the
-- run's longest (a streak split over inserts is split into streaks of each).
SELECT
    day, run_id, is_run, agent, agent_version, variant, service, environment, origin, parent_run_id,
    status, started_at, duration_ms,
    toUInt64(if(empty(firsts), 0, arrayMax(arrayMap(c -> length(c),
        arraySplit((x, i) -> i = 1 OR x.3 != firsts[i - 1].3, firsts, arrayEnumerate(firsts)))))) AS loop_bound,
    max_attempt, failed_model_steps, tokens, steps
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
        arraySort(x -> (x.1, x.2), groupArrayIf(tuple(Timestamp, seq, step_name), NOT is_run_span AND attempt = 1)) AS firsts,
        maxIf(attempt, NOT is_run_span) AS max_attempt,
        toUInt64(countIf(NOT is_run_span AND step_type = 'model' AND provider != '' AND failed)) AS failed_model_steps,
        toUInt64(sumIf(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])
            + toUInt64OrZero(SpanAttributes['gen_ai.usage.output_tokens']), NOT is_run_span)) AS tokens,
        groupArrayStateIf(CAST(tuple(Timestamp, seq, step_name, attempt, step_type, provider, failed),
            'Tuple(DateTime64(9), UInt32, String, UInt32, String, String, UInt8)'), NOT is_run_span) AS steps
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
