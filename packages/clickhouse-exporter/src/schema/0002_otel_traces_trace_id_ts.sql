-- Trace id → time range lookup, as the collector contrib clickhouseexporter
-- creates it (traces_id_ts_lookup_table.sql with traceIDTsTableEngineString(),
-- an AggregatingMergeTree, so a trace's rows merge into one; and
-- traces_id_ts_lookup_mv.sql). An earlier version of this file said
-- MergeTree(): migrate accepts that checksum and converts such a table
-- (SUPERSEDED_CHECKSUMS in migrate.ts).
CREATE TABLE IF NOT EXISTS {{local otel_traces_trace_id_ts}} {{on_cluster}} (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = {{engine AggregatingMergeTree()}}
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
{{ttl toDateTime(Start)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{distributed otel_traces_trace_id_ts cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table otel_traces_trace_id_ts_mv}} {{on_cluster}}
TO {{local otel_traces_trace_id_ts}}
AS SELECT
              TraceId,
              min(Timestamp) as Start,
              max(Timestamp) as End
   FROM {{local otel_traces}}
   WHERE TraceId != ''
   GROUP BY TraceId;
