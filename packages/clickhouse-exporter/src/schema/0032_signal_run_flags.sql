-- What each signal rule needs, folded per run and day on insert, so the
-- signal views (0033) read one narrow row per run instead of its steps.
--
-- agent_signal_run_flags has the rows of agent_signal_run_facts (0023: the
-- same groups of the same spans, one per (day, run_id) and insert, merged by
-- AggregatingMergeTree) with, instead of the step sequence, the answers the
-- rules compute from it (fragment signal_flags_v1): same-name streaks of
-- first attempts with their start times, the steps tried twice or more,
-- provider switches after a failed model step, tokens. `inserts` counts the
-- inserts a row was folded from: those answers are exact when it is 1 and
-- the run has no other row in the range (a run whose spans arrived apart or
-- over midnight); for the other runs the views read the steps from
-- agent_signal_run_facts as before, but only when 0023's bounds say a
-- signal can fire. Partitioned by day and keyed (day, run_id) as 0023.
-- Backfilled from the spans already stored.
CREATE TABLE IF NOT EXISTS {{local agent_signal_run_flags}} {{on_cluster}} (
    day Date,
    run_id String,
    inserts SimpleAggregateFunction(sum, UInt64),
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
    tokens SimpleAggregateFunction(sum, UInt64),
    -- bounds of 0023, valid however many inserts a row merges
    loop_bound SimpleAggregateFunction(sum, UInt64),
    max_attempt SimpleAggregateFunction(max, UInt32),
    failed_model_steps SimpleAggregateFunction(sum, UInt64),
    -- exact when inserts = 1 (fragment signal_flags_v1)
    loops SimpleAggregateFunction(any, Array(Tuple(String, Array(DateTime64(9))))),
    storms SimpleAggregateFunction(any, Array(Tuple(String, UInt32, DateTime64(9)))),
    switches SimpleAggregateFunction(any, UInt32),
    providers SimpleAggregateFunction(any, String),
    last_model_at SimpleAggregateFunction(any, DateTime64(9))
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY day
-- day leads the key (constant per partition) so FINAL never merges across partitions
ORDER BY (day, run_id)
{{ttl day}};

{{distributed agent_signal_run_flags cityHash64(run_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_signal_run_flags_mv}} {{on_cluster}}
TO {{local agent_signal_run_flags}}
AS {{fragment signal_flags_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_signal_run_flags}} (
    day, run_id, inserts, is_run, agent, agent_version, variant, service, environment, origin, parent_run_id,
    status, started_at, duration_ms, tokens, loop_bound, max_attempt, failed_model_steps, loops, storms,
    switches, providers, last_model_at)
{{fragment signal_flags_v1}};
