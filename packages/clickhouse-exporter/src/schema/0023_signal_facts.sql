-- Signal inputs folded on insert, so the signal views (0024) read a small
-- row per run and day instead of computing from every span ever stored.
--
-- * agent_signal_run_facts: one row per (day, run_id) that merges
--   (AggregatingMergeTree) whatever arrives first: the run span's agent,
--   status, origin, parent, start and duration, and its steps' sequence with
--   the bounds that let a query skip the runs that cannot fire (longest
--   same-name streak of first attempts, highest attempt, failed model steps,
--   tokens). Partitioned by day (of each span's start), so a time filter
--   reads only the days it needs; spans of one run inserted apart merge.
--   After a FINAL, a day's row with is_run = 1 holds the run span and all
--   its steps of that day; is_run = 0 marks a run spread over days (or whose
--   run span has not arrived), the only ones a query must add up.
-- * agent_signal_retries: retried step attempts per minute, agent, version,
--   variant, service, environment and provider (retry_rate).
--
-- Both hold the spans that carry agenttrace.run.id (the SDK's and any
-- instrumentation whose spans name their run); steps of other
-- instrumentations, attached to a run only by looking at the whole trace,
-- are not folded (docs/signals.md). Backfilled from the spans already stored.
CREATE TABLE IF NOT EXISTS {{local agent_signal_run_facts}} {{on_cluster}} (
    day Date,
    run_id String,
    is_run SimpleAggregateFunction(max, UInt8),
    agent SimpleAggregateFunction(max, LowCardinality(String)),
    agent_version SimpleAggregateFunction(max, LowCardinality(String)),
    variant SimpleAggregateFunction(max, LowCardinality(String)),
    service SimpleAggregateFunction(max, LowCardinality(String)),
    environment SimpleAggregateFunction(max, LowCardinality(String)),
    origin SimpleAggregateFunction(max, LowCardinality(String)),
    parent_run_id SimpleAggregateFunction(max, String),
    status SimpleAggregateFunction(max, LowCardinality(String)),
    started_at SimpleAggregateFunction(max, DateTime64(9)),
    duration_ms SimpleAggregateFunction(max, Float64),
    loop_bound SimpleAggregateFunction(sum, UInt64),
    max_attempt SimpleAggregateFunction(max, UInt32),
    failed_model_steps SimpleAggregateFunction(sum, UInt64),
    tokens SimpleAggregateFunction(sum, UInt64),
    -- (start, seq, name, attempt, type, provider, failed) of each step
    steps AggregateFunction(groupArray, Tuple(DateTime64(9), UInt32, String, UInt32, String, String, UInt8))
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY day
-- day leads the key (constant per partition) so FINAL never merges across partitions
ORDER BY (day, run_id)
{{ttl day}};

{{distributed agent_signal_run_facts cityHash64(run_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_signal_run_facts_mv}} {{on_cluster}}
TO {{local agent_signal_run_facts}}
AS {{fragment signal_facts_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_signal_run_facts}} (
    day, run_id, is_run, agent, agent_version, variant, service, environment, origin, parent_run_id,
    status, started_at, duration_ms, loop_bound, max_attempt, failed_model_steps, tokens, steps)
{{fragment signal_facts_v1}};

CREATE TABLE IF NOT EXISTS {{local agent_signal_retries}} {{on_cluster}} (
    minute DateTime('UTC'),
    agent LowCardinality(String),
    agent_version LowCardinality(String),
    variant LowCardinality(String),
    service LowCardinality(String),
    environment LowCardinality(String),
    provider LowCardinality(String),
    retries SimpleAggregateFunction(sum, UInt64)
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY toDate(minute)
ORDER BY (minute, agent, agent_version, variant, service, environment, provider)
{{ttl minute}};

{{distributed agent_signal_retries rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_signal_retries_mv}} {{on_cluster}}
TO {{local agent_signal_retries}}
AS {{fragment signal_retries_from_steps_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_signal_retries}} (
    minute, agent, agent_version, variant, service, environment, provider, retries)
{{fragment signal_retries_from_steps_v1}};
