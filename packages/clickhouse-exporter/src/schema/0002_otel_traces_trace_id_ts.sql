-- Trace id → time range lookup, as the collector contrib clickhouseexporter
-- creates it (traces_id_ts_lookup_table.sql, traces_id_ts_lookup_mv.sql).
CREATE TABLE IF NOT EXISTS {{local otel_traces_trace_id_ts}} {{on_cluster}} (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = {{engine MergeTree()}}
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
