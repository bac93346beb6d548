-- SELECT of agent_signal_retries_mv, shared with its one-off backfill:
-- retried step attempts (attempt > 1) of SDK runs per minute, agent,
-- version, variant, service, environment and provider.
SELECT
    toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    SpanAttributes['gen_ai.agent.name'] AS agent,
    SpanAttributes['gen_ai.agent.version'] AS agent_version,
    SpanAttributes['agenttrace.variant'] AS variant,
    ServiceName AS service,
    ResourceAttributes['deployment.environment.name'] AS environment,
    SpanAttributes['gen_ai.provider.name'] AS provider,
    count() AS retries
FROM {{local otel_traces}}
WHERE SpanAttributes['agenttrace.run.id'] != '' AND {{fragment is_step_v1}}
    AND toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']) > 1
GROUP BY minute, agent, agent_version, variant, service, environment, provider
