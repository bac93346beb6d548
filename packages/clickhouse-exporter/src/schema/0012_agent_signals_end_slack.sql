-- agent_signals again (0010), with one fix: failure_propagated compared the
-- child's and the parent's ends truncated to whole milliseconds, so a child
-- ending in the same millisecond as its parent could be missed. Rules and
-- thresholds unchanged: docs/signals.md.
--
-- Signals: behaviour patterns found from the stored structure alone (step
-- names, attempts, statuses, failure codes, providers, tokens, durations,
-- nesting and forks), never from content. One row per firing signal, with
-- the measured value and the default threshold it crossed. Rules and
-- thresholds: docs/signals.md.
--
-- signal             level  subject                    value
-- loop               run    repeated step name         consecutive first attempts
-- retry_storm        run    step name                  attempts of the step
-- retry_rate         agent  provider ('' for tools)    retries in one minute
-- fallback_cascade   run    providers in order         provider switches after a failed model step
-- token_budget       run    ''                         input + output tokens
-- cost_budget        run    ''                         cost in USD
-- latency_p99        run    ''                         duration / agent p99 (7 days)
-- failure_propagated run    failed child run id        1
CREATE OR REPLACE VIEW {{table agent_signals}} {{on_cluster}} AS
WITH
    -- Defaults; docs/signals.md. Changing one is a new migration.
    5 AS loop_min_repeats,
    5 AS retry_storm_min_attempts,
    10 AS retry_rate_min_per_minute,
    2 AS fallback_min_switches,
    100000 AS token_budget,
    1.0 AS cost_budget_usd,
    1.5 AS latency_p99_factor,
    100 AS latency_min_runs,
    runs AS (
        SELECT run_id, agent, agent_version, variant, started_at, duration_ms, status, origin, service, environment
        FROM {{table agent_run_index}}
    ),
    step_rows AS (
        SELECT run_id, step_type, step_name, attempt, seq, started_at, provider,
            failure_code != '' OR status = 'error' AS failed
        FROM {{table agent_steps}}
        WHERE run_id != ''
    ),
    -- Per run, its first attempts in start order, split where the name changes.
    loop_chunks AS (
        SELECT run_id, arrayJoin(arraySplit((x, i) -> i = 1 OR x.3 != ordered[i - 1].3, ordered,
            arrayEnumerate(ordered))) AS chunk
        FROM (
            SELECT run_id, arraySort(x -> (x.1, x.2), groupArray(tuple(started_at, seq, step_name))) AS ordered
            FROM step_rows
            WHERE attempt = 1
            GROUP BY run_id
        )
    ),
    per_run AS (
        SELECT 'loop' AS signal, run_id, chunk[1].3 AS subject, toFloat64(length(chunk)) AS value,
            toFloat64(loop_min_repeats) AS threshold, chunk[loop_min_repeats].1 AS detected_at
        FROM loop_chunks
        WHERE length(chunk) >= loop_min_repeats
        UNION ALL
        SELECT 'retry_storm' AS signal, run_id, step_name AS subject, toFloat64(max(attempt)) AS value,
            toFloat64(retry_storm_min_attempts) AS threshold, max(started_at) AS detected_at
        FROM step_rows
        GROUP BY run_id, step_name
        HAVING max(attempt) >= retry_storm_min_attempts
        UNION ALL
        SELECT 'fallback_cascade' AS signal, run_id,
            arrayStringConcat(arrayFilter((p, i) -> i = 1 OR p != providers[i - 1], providers,
                arrayEnumerate(providers)), ' > ') AS subject,
            toFloat64(switches) AS value, toFloat64(fallback_min_switches) AS threshold, detected_at
        FROM (
            SELECT run_id,
                arraySort(x -> (x.1, x.2), groupArray(tuple(started_at, seq, provider, failed))) AS ordered,
                arrayMap(x -> x.3, ordered) AS providers,
                arrayCount((x, i) -> i > 1 AND x.3 != ordered[i - 1].3 AND ordered[i - 1].4, ordered,
                    arrayEnumerate(ordered)) AS switches,
                ordered[length(ordered)].1 AS detected_at
            FROM step_rows
            WHERE step_type = 'model' AND provider != ''
            GROUP BY run_id
        )
        WHERE switches >= fallback_min_switches
    ),
    latency AS (
        SELECT agent, count() AS n, quantile(0.99)(duration_ms) AS p99_ms
        FROM runs
        WHERE started_at >= now() - INTERVAL 7 DAY
        GROUP BY agent
    )
SELECT
    p.signal AS signal, 'run' AS level, p.run_id AS run_id, r.agent AS agent,
    r.agent_version AS agent_version, r.variant AS variant, r.service AS service,
    r.environment AS environment, p.subject AS subject, p.value AS value,
    p.threshold AS threshold, toDateTime64(p.detected_at, 9) AS detected_at
FROM per_run AS p
{{global}} INNER JOIN runs AS r ON p.run_id = r.run_id
UNION ALL
SELECT
    'retry_rate' AS signal, 'agent' AS level, '' AS run_id, r.agent AS agent,
    r.agent_version AS agent_version, r.variant AS variant, r.service AS service,
    r.environment AS environment, s.provider AS subject, toFloat64(count()) AS value,
    toFloat64(retry_rate_min_per_minute) AS threshold,
    toDateTime64(toStartOfMinute(s.started_at), 9) AS detected_at
FROM step_rows AS s
{{global}} INNER JOIN runs AS r ON s.run_id = r.run_id
WHERE s.attempt > 1
GROUP BY r.agent, r.agent_version, r.variant, r.service, r.environment, s.provider, detected_at
HAVING value >= retry_rate_min_per_minute
UNION ALL
SELECT
    'token_budget' AS signal, 'run' AS level, run_id, agent, agent_version, variant, service,
    environment, '' AS subject, toFloat64(input_tokens + output_tokens) AS value,
    toFloat64(token_budget) AS threshold,
    toDateTime64(started_at + toIntervalMillisecond(toInt64(duration_ms)), 9) AS detected_at
FROM {{table agent_runs}}
WHERE input_tokens + output_tokens > token_budget
UNION ALL
SELECT
    'cost_budget' AS signal, 'run' AS level, run_id, agent, agent_version, variant, service,
    environment, '' AS subject, cost_usd AS value, cost_budget_usd AS threshold,
    toDateTime64(started_at + toIntervalMillisecond(toInt64(duration_ms)), 9) AS detected_at
FROM {{table agent_runs}}
WHERE cost_usd > cost_budget_usd
UNION ALL
SELECT
    'latency_p99' AS signal, 'run' AS level, r.run_id AS run_id, r.agent AS agent,
    r.agent_version AS agent_version, r.variant AS variant, r.service AS service,
    r.environment AS environment, '' AS subject, r.duration_ms / l.p99_ms AS value,
    latency_p99_factor AS threshold,
    toDateTime64(r.started_at + toIntervalMillisecond(toInt64(r.duration_ms)), 9) AS detected_at
FROM runs AS r
{{global}} INNER JOIN latency AS l ON r.agent = l.agent
WHERE r.started_at >= now() - INTERVAL 7 DAY AND l.n >= latency_min_runs AND l.p99_ms > 0
    AND r.duration_ms > latency_p99_factor * l.p99_ms
UNION ALL
SELECT
    'failure_propagated' AS signal, 'run' AS level, p.run_id AS run_id, p.agent AS agent,
    p.agent_version AS agent_version, p.variant AS variant, p.service AS service,
    p.environment AS environment, c.run_id AS subject, 1 AS value, 1 AS threshold,
    toDateTime64(c.started_at + toIntervalMillisecond(toInt64(c.duration_ms)), 9) AS detected_at
FROM {{table agent_runs}} AS c
{{global}} INNER JOIN runs AS p
    ON if(c.parent_run_id != '', c.parent_run_id, c.origin_run_id) = p.run_id
WHERE c.origin != 'root' AND c.status = 'failure' AND p.status = 'failure'
    -- ends compared in microseconds with 1 ms of slack: a child ends at most
    -- a rounding error after its parent
    AND c.started_at + toIntervalMicrosecond(toInt64(c.duration_ms * 1000))
        <= p.started_at + toIntervalMicrosecond(toInt64(p.duration_ms * 1000) + 1000)
{{view_settings}};
