-- What the regression test (@agenttrace/query regressionSql) reads, folded on
-- insert into one row per run and day, partitioned by day, so a query reads
-- only the days of its range, one row per run, and joins no run ids.
--
-- agent_regression_run_facts: one row per (day, run) and insert, merged by
-- AggregatingMergeTree (fragment regression_run_facts_v1). The row of the
-- insert holding the run span (is_run = 1) carries its agent, version,
-- variant, service, environment, status, start and duration; every row
-- carries, per priced model of its steps, their tokens and when the model
-- was first seen, as agent_run_facts (0005) holds them, so the query prices
-- them with model_prices as agent_runs does. A row without the run span
-- (is_run = 0: steps inserted apart and not merged yet, or over midnight)
-- makes the query group that run's rows by run_hash (cityHash64(run_id));
-- every other run is its one row. Steps of other instrumentations that
-- agent_runs attaches to a run only by reading its trace are not folded, as
-- in agent_run_facts. Backfilled from the spans already stored.
CREATE TABLE IF NOT EXISTS {{local agent_regression_run_facts}} {{on_cluster}} (
    day Date,
    run_hash UInt64,
    run_id String,
    is_run SimpleAggregateFunction(max, UInt8),
    agent SimpleAggregateFunction(max, LowCardinality(String)),
    agent_version SimpleAggregateFunction(max, LowCardinality(String)),
    variant SimpleAggregateFunction(max, LowCardinality(String)),
    service SimpleAggregateFunction(max, LowCardinality(String)),
    environment SimpleAggregateFunction(max, LowCardinality(String)),
    status SimpleAggregateFunction(max, LowCardinality(String)),
    started_at SimpleAggregateFunction(max, DateTime64(9)),
    duration_ms SimpleAggregateFunction(max, Float64),
    -- per priced model: (models, steps, input, output, cached input tokens)
    model_tokens SimpleAggregateFunction(sumMap,
        Tuple(Array(String), Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64))),
    -- per priced model: when it was first seen (the price in effect then applies)
    model_seen SimpleAggregateFunction(minMap, Tuple(Array(String), Array(DateTime64(9))))
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY day
-- day leads the key (constant per partition) so FINAL never merges across partitions
ORDER BY (day, run_hash, run_id)
{{ttl day}};

{{distributed agent_regression_run_facts cityHash64(run_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table agent_regression_run_facts_mv}} {{on_cluster}}
TO {{local agent_regression_run_facts}}
AS {{fragment regression_run_facts_v1}};

-- Backfill spans inserted before this migration (a no-op on a new table).
INSERT INTO {{local agent_regression_run_facts}} (
    day, run_hash, run_id, is_run, agent, agent_version, variant, service, environment, status,
    started_at, duration_ms, model_tokens, model_seen)
{{fragment regression_run_facts_v1}};
