-- Signals over a time range with thresholds given per query (0024's
-- agent_signals_window, same parameters, rules and rows: docs/signals.md),
-- now read from the answers folded on insert (0032) instead of the steps.
--
-- Each run of the range is one of:
-- * direct: its row in agent_signal_run_flags holds the run span, was
--   folded from one insert and the run has no other row in the range (the
--   common case). Its loops, retry storms, fallback cascade and token
--   budget come from that row's folded answers, filtered by the thresholds;
--   nothing else is read. A row merged from several inserts is direct too
--   when 0023's bounds say no step signal can fire.
-- * looked at: spread over several rows (spans inserted apart and not
--   merged yet, over midnight), or merged with bounds that can fire, or
--   with thresholds the folded answers do not cover (loop_min < 2,
--   retry_storm_min < 2, fallback_min < 1): its steps are read from
--   agent_signal_run_facts by primary key and checked as 0024 did.
-- Cost is priced from agent_run_facts (as agent_runs.cost_usd) only for
-- runs whose tokens at the dearest listed price exceed budget_usd.
CREATE OR REPLACE VIEW {{table agent_signals_window}} {{on_cluster}} AS
WITH
    {loop_min:UInt32} AS loop_min_repeats,
    {retry_storm_min:UInt32} AS retry_storm_min_attempts,
    {retry_rate_min:UInt32} AS retry_rate_min_per_minute,
    {fallback_min:UInt32} AS fallback_min_switches,
    {budget_tokens:UInt64} AS token_budget,
    {budget_usd:Float64} AS cost_budget_usd,
    {latency_factor:Float64} AS latency_p99_factor,
    {latency_min_runs:UInt32} AS latency_min_runs,
    toDateTime64({since:DateTime64(3)}, 9) AS since_at,
    toDateTime64({until:DateTime64(3)}, 9) AS until_at,
    -- partitions read: from the day before since (runs crossing midnight) to until
    toDate(greatest(since_at, toDateTime64('1970-01-02 00:00:00', 9)) - toIntervalDay(1)) AS since_day,
    toDate(least(until_at, toDateTime64('2149-06-01 00:00:00', 9))) AS until_day,
    -- the folded answers hold streaks of 2 or more, steps tried twice or more, 1 or more switches
    loop_min_repeats >= 2 AND retry_storm_min_attempts >= 2 AND fallback_min_switches >= 1 AS folded_cover,
    -- USD per token at the dearest listed price: a run below budget at it cannot exceed the budget
    (SELECT max(greatest(input_per_mtok, output_per_mtok, cached_input_per_mtok)) FROM {{table model_prices}}) / 1e6
        AS dearest_usd_per_token,
    -- Runs with a row without the run span in the range: spread over rows.
    spread AS (
        SELECT run_id FROM {{table agent_signal_run_flags}}
        WHERE day >= since_day AND day <= until_day AND is_run = 0
    ),
    -- Runs whose steps are read: every spread run, and runs whose row's
    -- folded answers cannot be used but whose bounds can fire.
    looked_at AS (
        SELECT run_id FROM {{table agent_signal_run_flags}}
        WHERE day >= since_day AND day <= until_day AND is_run = 1
            AND (inserts > 1 OR NOT folded_cover)
            AND (loop_bound >= loop_min_repeats OR max_attempt >= retry_storm_min_attempts
                OR failed_model_steps >= fallback_min_switches)
        UNION ALL
        SELECT run_id FROM spread
    ),
    -- Direct runs whose row can fire a step or token signal (PREWHERE on the narrow bounds).
    direct AS (
        SELECT
            run_id, agent, agent_version, variant, service, environment, inserts, tokens, loops, storms,
            switches, providers, last_model_at,
            started_at + toIntervalMillisecond(toInt64(duration_ms)) AS run_ended_at
        FROM {{table agent_signal_run_flags}}
        PREWHERE day >= since_day AND day <= until_day AND is_run = 1
            AND ((folded_cover AND (loop_bound >= loop_min_repeats OR max_attempt >= retry_storm_min_attempts
                    OR switches >= fallback_min_switches))
                OR tokens > token_budget)
        WHERE run_id {{global}} NOT IN (SELECT run_id FROM spread)
            AND NOT ((inserts > 1 OR NOT folded_cover)
                AND (loop_bound >= loop_min_repeats OR max_attempt >= retry_storm_min_attempts
                    OR failed_model_steps >= fallback_min_switches))
    ),
    direct_fired AS (
        SELECT
            run_id, agent, agent_version, variant, service, environment,
            arrayConcat(
                if(inserts = 1 AND folded_cover,
                    arrayConcat(
                        arrayMap(l -> tuple('loop', l.1, toFloat64(length(l.2)), toFloat64(loop_min_repeats),
                                l.2[loop_min_repeats]),
                            arrayFilter(l -> length(l.2) >= loop_min_repeats, loops)),
                        arrayMap(s -> tuple('retry_storm', s.1, toFloat64(s.2), toFloat64(retry_storm_min_attempts), s.3),
                            arrayFilter(s -> s.2 >= retry_storm_min_attempts, storms)),
                        if(switches >= fallback_min_switches,
                            [tuple('fallback_cascade', providers, toFloat64(switches),
                                toFloat64(fallback_min_switches), last_model_at)],
                            [])),
                    []),
                if(tokens > token_budget,
                    [tuple('token_budget', '', toFloat64(tokens), toFloat64(token_budget), run_ended_at)],
                    [])) AS fired
        FROM direct
    ),
    -- The looked-at runs added up, their steps in start order; then the
    -- rules of 0024 on them, one layer per step so each name is a column.
    candidate_runs AS (
        SELECT
            run_id, max(is_run) AS has_run, max(agent) AS agent, max(agent_version) AS agent_version,
            max(variant) AS variant, max(service) AS service, max(environment) AS environment,
            max(started_at) AS run_started_at, max(duration_ms) AS run_duration_ms,
            sum(tokens) AS run_tokens, arraySort(x -> (x.1, x.2), groupArrayMerge(steps)) AS ordered
        FROM {{table agent_signal_run_facts}}
        WHERE day >= since_day AND day <= until_day AND run_id {{global}} IN (SELECT run_id FROM looked_at)
        GROUP BY run_id
        HAVING has_run = 1
    ),
    candidate_steps AS (
        SELECT
            *,
            -- first attempts in start order; model steps with a provider, in start order
            arrayFilter(x -> x.4 = 1, ordered) AS firsts,
            arrayFilter(x -> x.5 = 'model' AND x.6 != '', ordered) AS models
        FROM candidate_runs
    ),
    per_run AS (
        SELECT
            *,
            -- first attempts split where the name changes
            arrayMap(c -> tuple('loop', c[1].3, toFloat64(length(c)), toFloat64(loop_min_repeats), c[loop_min_repeats].1),
                arrayFilter(c -> notEmpty(c) AND length(c) >= loop_min_repeats,
                    arraySplit((x, i) -> i = 1 OR x.3 != firsts[i - 1].3, firsts, arrayEnumerate(firsts)))) AS loops,
            arrayFilter(t -> t.3 >= retry_storm_min_attempts,
                arrayMap(n -> tuple('retry_storm', n,
                        toFloat64(arrayMax(arrayMap(x -> x.4, arrayFilter(x -> x.3 = n, ordered)))),
                        toFloat64(retry_storm_min_attempts),
                        arrayMax(arrayMap(x -> x.1, arrayFilter(x -> x.3 = n, ordered)))),
                    arrayDistinct(arrayMap(x -> x.3, ordered)))) AS storms,
            arrayCount((x, i) -> i > 1 AND x.6 != models[i - 1].6 AND models[i - 1].7 = 1, models,
                arrayEnumerate(models)) AS switches,
            if(notEmpty(models) AND switches >= fallback_min_switches,
                [tuple('fallback_cascade',
                    arrayStringConcat(arrayMap(x -> x.6, arrayFilter((x, i) -> i = 1 OR x.6 != models[i - 1].6,
                        models, arrayEnumerate(models))), ' > '),
                    toFloat64(switches), toFloat64(fallback_min_switches), models[length(models)].1)],
                []) AS fallback,
            if(run_tokens > token_budget,
                [tuple('token_budget', '', toFloat64(run_tokens), toFloat64(token_budget),
                    run_started_at + toIntervalMillisecond(toInt64(run_duration_ms)))],
                []) AS over_tokens
        FROM candidate_steps
    ),
    -- Runs that can exceed budget_usd: a row whose tokens at the dearest
    -- price do, and every spread run (its tokens are over several rows).
    cost_candidates AS (
        SELECT run_id FROM {{table agent_signal_run_flags}}
        WHERE day >= since_day AND day <= until_day AND tokens * dearest_usd_per_token > cost_budget_usd
        UNION ALL
        SELECT run_id FROM spread
    ),
    -- Their cost, priced from agent_run_facts as agent_runs.cost_usd.
    costs AS (
        SELECT run_id, sum(cost) AS cost_usd
        FROM (
            WITH {{fragment price_list_v1}} AS price_list
            SELECT
                run_id, model, sum(input_tokens) AS input, sum(output_tokens) AS output,
                sum(cached_tokens) AS cached, tuple(model) AS key, min(seen_at) AS bucket,
                if(model = '', 0, {{fragment price_index_v1}}) AS i,
                {{fragment priced_cost_v1}} AS cost
            FROM {{table agent_run_facts}}
            WHERE run_id {{global}} IN (SELECT run_id FROM cost_candidates)
            GROUP BY run_id, model
        )
        GROUP BY run_id
        HAVING cost_usd > cost_budget_usd
    ),
    -- Runs of the last 7 days (latency_p99), whatever the range. A run
    -- span's fields are in its own row, so no adding up is needed here.
    recent AS (
        SELECT run_id, agent, agent_version, variant, service, environment, started_at, duration_ms
        FROM {{table agent_signal_run_flags}}
        WHERE day >= toDate(now() - INTERVAL 8 DAY) AND is_run = 1 AND started_at >= now() - INTERVAL 7 DAY
    ),
    latency AS (
        SELECT agent, count() AS n, quantile(0.99)(duration_ms) AS p99_ms
        FROM recent
        GROUP BY agent
    ),
    failed_children AS (
        SELECT run_id, parent_run_id, started_at, duration_ms
        FROM {{table agent_signal_run_flags}}
        WHERE day >= since_day AND day <= until_day AND is_run = 1 AND status = 'failure'
            AND origin != 'root' AND parent_run_id != ''
    ),
    failed_parents AS (
        SELECT run_id, agent, agent_version, variant, service, environment, started_at, duration_ms
        FROM {{table agent_signal_run_flags}}
        WHERE is_run = 1 AND status = 'failure'
            AND run_id {{global}} IN (SELECT parent_run_id FROM failed_children)
    )
SELECT * FROM (
    SELECT
        fired.1 AS signal, 'run' AS level, run_id, agent, agent_version, variant, service, environment,
        fired.2 AS subject, fired.3 AS value, fired.4 AS threshold, toDateTime64(fired.5, 9) AS detected_at
    FROM direct_fired
    ARRAY JOIN fired
    UNION ALL
    SELECT
        fired.1 AS signal, 'run' AS level, run_id, agent, agent_version, variant, service, environment,
        fired.2 AS subject, fired.3 AS value, fired.4 AS threshold, toDateTime64(fired.5, 9) AS detected_at
    FROM per_run
    ARRAY JOIN arrayConcat(loops, storms, fallback, over_tokens) AS fired
    UNION ALL
    SELECT
        'cost_budget' AS signal, 'run' AS level, r.run_id AS run_id, r.agent AS agent,
        r.agent_version AS agent_version, r.variant AS variant, r.service AS service,
        r.environment AS environment, '' AS subject, c.cost_usd AS value, cost_budget_usd AS threshold,
        toDateTime64(r.started_at + toIntervalMillisecond(toInt64(r.duration_ms)), 9) AS detected_at
    FROM costs AS c
    {{global}} INNER JOIN (
        SELECT run_id, agent, agent_version, variant, service, environment, started_at, duration_ms
        FROM {{table agent_signal_run_flags}}
        WHERE day >= since_day AND day <= until_day AND is_run = 1
            AND run_id {{global}} IN (SELECT run_id FROM cost_candidates)
    ) AS r ON c.run_id = r.run_id
    UNION ALL
    SELECT
        'retry_rate' AS signal, 'agent' AS level, '' AS run_id, agent, agent_version, variant, service,
        environment, provider AS subject, toFloat64(sum(retries)) AS value,
        toFloat64(retry_rate_min_per_minute) AS threshold, toDateTime64(minute, 9) AS detected_at
    FROM {{table agent_signal_retries}}
    WHERE minute >= toStartOfMinute(since_at) AND minute < until_at
    GROUP BY agent, agent_version, variant, service, environment, provider, minute
    HAVING value >= retry_rate_min_per_minute
    UNION ALL
    SELECT
        'latency_p99' AS signal, 'run' AS level, r.run_id AS run_id, r.agent AS agent,
        r.agent_version AS agent_version, r.variant AS variant, r.service AS service,
        r.environment AS environment, '' AS subject, r.duration_ms / l.p99_ms AS value,
        latency_p99_factor AS threshold,
        toDateTime64(r.started_at + toIntervalMillisecond(toInt64(r.duration_ms)), 9) AS detected_at
    FROM recent AS r
    {{global}} INNER JOIN latency AS l ON r.agent = l.agent
    WHERE l.n >= latency_min_runs AND l.p99_ms > 0 AND r.duration_ms > latency_p99_factor * l.p99_ms
    UNION ALL
    SELECT
        'failure_propagated' AS signal, 'run' AS level, p.run_id AS run_id, p.agent AS agent,
        p.agent_version AS agent_version, p.variant AS variant, p.service AS service,
        p.environment AS environment, c.run_id AS subject, 1 AS value, 1 AS threshold,
        toDateTime64(c.started_at + toIntervalMillisecond(toInt64(c.duration_ms)), 9) AS detected_at
    FROM failed_children AS c
    {{global}} INNER JOIN failed_parents AS p ON c.parent_run_id = p.run_id
    -- ends compared in microseconds with 50 ms of slack: a span's start is the
    -- wall clock (Date.now(), whole ms) and its duration the monotonic clock, and
    -- the wall clock of a loaded VM steps by up to 10 ms against it (measured), so
    -- a child started a few ms after its parent can seem to end after it
    WHERE c.started_at + toIntervalMicrosecond(toInt64(c.duration_ms * 1000))
        <= p.started_at + toIntervalMicrosecond(toInt64(p.duration_ms * 1000) + 50000)
)
-- a retry_rate row is a whole minute, detected at its start: it is in the range
-- when its minute overlaps it (as the branch reads), not only when it starts in it
WHERE detected_at >= if(signal = 'retry_rate', toStartOfMinute(since_at), since_at)
    AND detected_at < until_at
{{view_settings}};
