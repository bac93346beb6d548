-- Signals from the inputs folded on insert (0023), over a time range and
-- with thresholds given per query; rules unchanged (docs/signals.md).
--
-- agent_signals_window(since, until, loop_min, retry_storm_min,
-- retry_rate_min, fallback_min, budget_tokens, budget_usd, latency_factor,
-- latency_min_runs): the signals detected in [since, until). It reads the
-- days of agent_signal_run_facts from the day before since to until (a run
-- longer than a day that started earlier is read from that day on), and
-- computes a run's signals from its step sequence only when its bounds say
-- one can fire, so its cost follows the range and what fires, not history.
-- agent_signals is the same over all history with the default thresholds.
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
    {{fragment price_list_v1}} AS price_list,
    -- Rows of runs whose facts are spread over several rows (inserted apart
    -- and not merged yet, or over days): a row without the run span. Only
    -- these are added up; any other run's row is complete on its own.
    spread AS (
        SELECT run_id FROM {{table agent_signal_run_facts}}
        WHERE day >= since_day AND day <= until_day AND is_run = 0
    ),
    -- Runs that may fire a step or budget signal: a complete row that does
    -- on its own (cost: its tokens at the dearest price), and every spread run.
    candidates AS (
        SELECT run_id FROM {{table agent_signal_run_facts}}
        WHERE day >= since_day AND day <= until_day
            AND (loop_bound >= loop_min_repeats OR max_attempt >= retry_storm_min_attempts
                OR failed_model_steps >= fallback_min_switches OR tokens > token_budget
                OR tokens * (SELECT max(greatest(input_per_mtok, output_per_mtok, cached_input_per_mtok))
                    FROM {{table model_prices}}) / 1e6 > cost_budget_usd)
        UNION ALL
        SELECT run_id FROM spread
    ),
    -- Cost of the candidates, priced from agent_run_facts as agent_runs.cost_usd.
    costs AS (
        SELECT run_id, sum(cost) AS cost_usd
        FROM (
            SELECT
                run_id, model, sum(input_tokens) AS input, sum(output_tokens) AS output,
                sum(cached_tokens) AS cached, tuple(model) AS key, min(seen_at) AS bucket,
                if(model = '', 0, {{fragment price_index_v1}}) AS i,
                {{fragment priced_cost_v1}} AS cost
            FROM {{table agent_run_facts}}
            WHERE run_id {{global}} IN (SELECT run_id FROM candidates)
            GROUP BY run_id, model
        )
        GROUP BY run_id
    ),
    -- The candidates added up, with their steps in start order and their cost.
    candidate_runs AS (
        SELECT s.*, c.cost_usd AS run_cost_usd
        FROM (
            SELECT
                run_id, max(is_run) AS has_run, max(agent) AS agent, max(agent_version) AS agent_version,
                max(variant) AS variant, max(service) AS service, max(environment) AS environment,
                max(started_at) AS run_started_at, max(duration_ms) AS run_duration_ms,
                sum(tokens) AS run_tokens, arraySort(x -> (x.1, x.2), groupArrayMerge(steps)) AS ordered
            FROM {{table agent_signal_run_facts}}
            WHERE day >= since_day AND day <= until_day AND run_id {{global}} IN (SELECT run_id FROM candidates)
            GROUP BY run_id
            HAVING has_run = 1
        ) AS s
        {{global}} LEFT JOIN costs AS c ON s.run_id = c.run_id
    ),
    per_run AS (
        SELECT
            *,
            -- first attempts in start order, split where the name changes
            arrayFilter(x -> x.4 = 1, ordered) AS firsts,
            arraySplit((x, i) -> i = 1 OR x.3 != firsts[i - 1].3, firsts, arrayEnumerate(firsts)) AS chunks,
            arrayMap(c -> tuple('loop', c[1].3, toFloat64(length(c)), toFloat64(loop_min_repeats), c[loop_min_repeats].1),
                arrayFilter(c -> notEmpty(c) AND length(c) >= loop_min_repeats, chunks)) AS loops,
            arrayFilter(t -> t.3 >= retry_storm_min_attempts,
                arrayMap(n -> tuple('retry_storm', n,
                        toFloat64(arrayMax(arrayMap(x -> x.4, arrayFilter(x -> x.3 = n, ordered)))),
                        toFloat64(retry_storm_min_attempts),
                        arrayMax(arrayMap(x -> x.1, arrayFilter(x -> x.3 = n, ordered)))),
                    arrayDistinct(arrayMap(x -> x.3, ordered)))) AS storms,
            -- model steps with a provider, in start order
            arrayFilter(x -> x.5 = 'model' AND x.6 != '', ordered) AS models,
            arrayCount((x, i) -> i > 1 AND x.6 != models[i - 1].6 AND models[i - 1].7 = 1, models,
                arrayEnumerate(models)) AS switches,
            if(notEmpty(models) AND switches >= fallback_min_switches,
                [tuple('fallback_cascade',
                    arrayStringConcat(arrayMap(x -> x.6, arrayFilter((x, i) -> i = 1 OR x.6 != models[i - 1].6,
                        models, arrayEnumerate(models))), ' > '),
                    toFloat64(switches), toFloat64(fallback_min_switches), models[length(models)].1)],
                []) AS fallback,
            run_started_at + toIntervalMillisecond(toInt64(run_duration_ms)) AS run_ended_at,
            if(run_tokens > token_budget,
                [tuple('token_budget', '', toFloat64(run_tokens), toFloat64(token_budget), run_ended_at)],
                []) AS over_tokens,
            if(run_cost_usd > cost_budget_usd,
                [tuple('cost_budget', '', run_cost_usd, cost_budget_usd, run_ended_at)],
                []) AS over_cost
        FROM candidate_runs
    ),
    -- Runs of the last 7 days (latency_p99), whatever the range. A run
    -- span's fields are in its own row, so no adding up is needed here.
    recent AS (
        SELECT run_id, agent, agent_version, variant, service, environment, started_at, duration_ms
        FROM {{table agent_signal_run_facts}}
        WHERE day >= toDate(now() - INTERVAL 8 DAY) AND is_run = 1 AND started_at >= now() - INTERVAL 7 DAY
    ),
    latency AS (
        SELECT agent, count() AS n, quantile(0.99)(duration_ms) AS p99_ms
        FROM recent
        GROUP BY agent
    ),
    failed_children AS (
        SELECT run_id, parent_run_id, started_at, duration_ms
        FROM {{table agent_signal_run_facts}}
        WHERE day >= since_day AND day <= until_day AND is_run = 1 AND status = 'failure'
            AND origin != 'root' AND parent_run_id != ''
    ),
    failed_parents AS (
        SELECT run_id, agent, agent_version, variant, service, environment, started_at, duration_ms
        FROM {{table agent_signal_run_facts}}
        WHERE is_run = 1 AND status = 'failure'
            AND run_id {{global}} IN (SELECT parent_run_id FROM failed_children)
    )
SELECT * FROM (
    SELECT
        fired.1 AS signal, 'run' AS level, run_id, agent, agent_version, variant, service, environment,
        fired.2 AS subject, fired.3 AS value, fired.4 AS threshold, toDateTime64(fired.5, 9) AS detected_at
    FROM per_run
    ARRAY JOIN arrayConcat(loops, storms, fallback, over_tokens, over_cost) AS fired
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
    -- ends compared in microseconds with 1 ms of slack (0012)
    WHERE c.started_at + toIntervalMicrosecond(toInt64(c.duration_ms * 1000))
        <= p.started_at + toIntervalMicrosecond(toInt64(p.duration_ms * 1000) + 1000)
)
WHERE detected_at >= since_at AND detected_at < until_at
{{view_settings}};

-- Every signal over all history with the default thresholds (docs/signals.md),
-- as 0010/0012 defined it, now read from the folded inputs.
CREATE OR REPLACE VIEW {{table agent_signals}} {{on_cluster}} AS
SELECT * FROM {{table agent_signals_window}}(
    since = '1970-01-01 00:00:00', until = '2106-01-01 00:00:00',
    loop_min = 5, retry_storm_min = 5, retry_rate_min = 10, fallback_min = 2,
    budget_tokens = 100000, budget_usd = 1.0, latency_factor = 1.5, latency_min_runs = 100)
{{view_settings}};
