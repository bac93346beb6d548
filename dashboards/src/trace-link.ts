/**
 * Links from a table row to the run's trace in Grafana's trace view: Explore
 * with the ClickHouse data source and the query the plugin itself builds for
 * a trace-id lookup (query builder, `Traces`, trace-id mode), so the link
 * opens exactly what the plugin's own "View trace" link opens.
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DATASOURCE, QueryFormat } from './datasource.js';

/** Where the plugin finds spans: the contrib exporter's OTel tables. */
export interface TraceTableRef {
  database: string;
  /** @default 'otel_traces' */
  table?: string;
}

const quoteIdent = (id: string) => `"${id}"`;
const tableIdent = (database: string, table: string) =>
  `${quoteIdent(database)}.${quoteIdent(table)}`;
const tagsOf = (column: string) =>
  `arrayMap(key -> map('key', key, 'value',${quoteIdent(column)}[key]), mapKeys(${quoteIdent(column)}))`;
const fieldsOf = (expr: string) =>
  `arrayMap(key -> map('key', key, 'value', ${expr}[key]), mapKeys(${expr}))`;

/**
 * The SQL the plugin's query builder generates for an OTel trace-id lookup
 * (`generateTraceIdQuery` in `src/data/sqlGenerator.ts`, OTel version
 * `latest`, durations in nanoseconds, events `Events`, links `Links`,
 * not flattened, with the `_trace_id_ts` table for the time bounds).
 * `traceId` is put in as given: a hex id, or a data-link variable.
 */
export function traceIdQuerySql(traceId: string, ref: TraceTableRef): string {
  const table = ref.table ?? 'otel_traces';
  const ts = tableIdent(ref.database, `${table}_trace_id_ts`);
  return [
    'WITH',
    `'${traceId}' as __gf_trace_id,`,
    `(SELECT min(Start) FROM ${ts} WHERE TraceId = __gf_trace_id) as __gf_trace_start,`,
    `(SELECT max(End) + 1 FROM ${ts} WHERE TraceId = __gf_trace_id) as __gf_trace_end`,
    'SELECT',
    [
      '"TraceId" as traceID',
      '"SpanId" as spanID',
      '"ParentSpanId" as parentSpanID',
      '"ServiceName" as serviceName',
      '"SpanName" as operationName',
      'multiply(toUnixTimestamp64Nano("Timestamp"), 0.000001) as startTime',
      'multiply("Duration", 0.000001) as duration',
      `${tagsOf('SpanAttributes')} as tags`,
      `${tagsOf('ResourceAttributes')} as serviceTags`,
      `if("StatusCode" IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) as statusCode`,
      [
        `arrayMap((name, timestamp, attributes) -> tuple(name, toString(toUnixTimestamp64Milli(timestamp)),`,
        `${fieldsOf('attributes')})::Tuple(name String, timestamp String, fields Array(Map(String, String))),`,
        `"Events".Name, "Events".Timestamp,`,
        `"Events".Attributes) AS logs`,
      ].join(' '),
      [
        `arrayMap((traceID, spanID, attributes) -> tuple(traceID, spanID, ${fieldsOf('attributes')})::Tuple(traceID String, spanID String, tags Array(Map(String, String))),`,
        `"Links".TraceId, "Links".SpanId,`,
        `"Links".Attributes) AS references`,
      ].join(' '),
      '"SpanKind" as kind',
      '"StatusMessage" as statusMessage',
      '"TraceState" as traceState',
    ].join(', '),
    'FROM',
    tableIdent(ref.database, table),
    'WHERE',
    'traceID = __gf_trace_id AND "Timestamp" >= __gf_trace_start AND "Timestamp" <= __gf_trace_end',
  ].join(' ');
}

/** Column hints of the OTel `latest` trace schema, as the plugin stores them in builder options. */
const TRACE_COLUMNS = [
  ['Timestamp', 'time'],
  ['TraceId', 'trace_id'],
  ['SpanId', 'trace_span_id'],
  ['ParentSpanId', 'trace_parent_span_id'],
  ['ServiceName', 'trace_service_name'],
  ['SpanName', 'trace_operation_name'],
  ['Duration', 'trace_duration_time'],
  ['SpanAttributes', 'trace_tags'],
  ['ResourceAttributes', 'trace_service_tags'],
  ['StatusCode', 'trace_status_code'],
  ['SpanKind', 'trace_kind'],
  ['StatusMessage', 'trace_status_message'],
  ['TraceState', 'trace_state'],
] as const;

/** The trace-id query as the plugin's own "View trace" data link carries it. */
export function traceIdQuery(traceId: string, ref: TraceTableRef, datasource: DataSourceRef) {
  const table = ref.table ?? 'otel_traces';
  return {
    refId: 'Trace ID',
    datasource,
    editorType: 'builder',
    format: QueryFormat.trace,
    rawSql: traceIdQuerySql(traceId, ref),
    builderOptions: {
      database: ref.database,
      table,
      queryType: 'traces',
      columns: TRACE_COLUMNS.map(([name, hint]) => ({ name, hint })),
      filters: [],
      orderBy: [],
      meta: {
        minimized: true,
        isTraceIdMode: true,
        traceId,
        traceDurationUnit: 'nanoseconds',
        otelEnabled: true,
        otelVersion: 'latest',
        traceEventsColumnPrefix: 'Events',
        traceLinksColumnPrefix: 'Links',
        hasTraceTimestampTable: true,
        traceTimestampTableSuffix: '_trace_id_ts',
        flattenNested: false,
      },
    },
  };
}

/** Data-link variable of the row's trace id column. */
export const TRACE_ID_VAR = '${__data.fields.trace_id}';
/** Database of `otel_traces` in the compose stack (`CLICKHOUSE_DB`). */
export const TRACE_DATABASE = 'agenttrace';

/**
 * An Explore URL (`/explore?schemaVersion=1&panes=…`) showing the trace of
 * the row's `trace_id` field over the dashboard's time range. The JSON is
 * percent-encoded except for the data-link variables, which Grafana fills
 * in when the link is followed.
 */
export function exploreTraceUrl(
  traceIdVar = TRACE_ID_VAR,
  ref: TraceTableRef = { database: TRACE_DATABASE },
): string {
  const placeholders = { [traceIdVar]: '@@TRACE@@', '${__from}': '@@FROM@@', '${__to}': '@@TO@@' };
  const panes = {
    trace: {
      datasource: DATASOURCE.uid,
      queries: [traceIdQuery(placeholders[traceIdVar] ?? '', ref, DATASOURCE)],
      range: { from: '@@FROM@@', to: '@@TO@@' },
    },
  };
  let encoded = encodeURIComponent(JSON.stringify(panes));
  for (const [variable, placeholder] of Object.entries(placeholders))
    encoded = encoded.split(encodeURIComponent(placeholder)).join(variable);
  return `/explore?schemaVersion=1&orgId=1&panes=${encoded}`;
}

/** A field-override `links` property opening the row's trace. */
export function traceLinkProperty() {
  return {
    id: 'links',
    value: [{ title: 'Open trace', url: exploreTraceUrl(), targetBlank: false }],
  };
}
