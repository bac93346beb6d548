-- SELECT of agent_run_stats_mv, shared with the one-off backfill in the same migration.
SELECT
    bucket, service, environment, agent, agent_version, variant,
    countState() AS runs,
    toUInt64(countIf(status = 'success')) AS successes,
    toUInt64(countIf(status = 'failure')) AS failures,
    toUInt64(countIf(status = 'partial')) AS partials,
    sum(duration_ms) AS duration_sum_ms,
    quantilesState(0.5, 0.95, 0.99)(duration_ms) AS latency
FROM (
    SELECT
        toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket,
        ServiceName AS service,
        ResourceAttributes['deployment.environment.name'] AS environment,
        SpanAttributes['gen_ai.agent.name'] AS agent,
        SpanAttributes['gen_ai.agent.version'] AS agent_version,
        SpanAttributes['agenttrace.variant'] AS variant,
        if(SpanAttributes['agenttrace.run.status'] != '', SpanAttributes['agenttrace.run.status'],
            if({{fragment is_error_v1}}, 'failure', 'success')) AS status,
        Duration / 1e6 AS duration_ms
    FROM {{local otel_traces}}
    WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
)
GROUP BY bucket, service, environment, agent, agent_version, variant
