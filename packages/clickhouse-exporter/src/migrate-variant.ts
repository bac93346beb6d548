/**
 * Reads, before `migrate` changes anything, which spans table is already
 * there: none, the OpenTelemetry Collector contrib `clickhouseexporter` table
 * with bloom-filter skip indexes (its default below ClickHouse 26.2), or with
 * `text` indexes (what it creates on ≥ 26.2). Variants the views cannot read,
 * the JSON-typed table and tables of older releases without
 * `ScopeName`/`ScopeVersion`, stop the run with a {@link MigrationError}
 * saying what was found and what to do. Reads `system.columns`,
 * `system.data_skipping_indices`, `system.tables` and `system.settings` only.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { MigrationError } from './migration-error.js';
import { TEXT_INDEX_HINT_SETTING, quoteIdent } from './schema-template.js';

/** Which spans table `migrate` found. */
export type TracesTableVariant = 'none' | 'bloom' | 'text_index';

/** What {@link inspectStore} found. */
export interface StoreInspection {
  /** The spans table before this run (`none`: it creates agenttrace's, the bloom variant). */
  readonly tracesTable: TracesTableVariant;
  /** Engine of `<tracesTable>_trace_id_ts`, if it exists. */
  readonly traceIdTsEngine: string | undefined;
  /** Whether its `Start` column is a `SimpleAggregateFunction` (agenttrace's or current contrib's shape). */
  readonly traceIdTsAggregateColumns: boolean;
  /** Whether the server has the text-index planner setting the views turn off. */
  readonly hasTextIndexHintSetting: boolean;
}

const MAP = /^Map\((LowCardinality\()?String\)?, String\)$/;
const STR = /^(LowCardinality\()?String\)?$/;

/** Column → accepted types: what the views and the exporter's insert need. */
const REQUIRED: Readonly<Record<string, RegExp>> = {
  Timestamp: /^DateTime64\(9(, '[^']*')?\)$/,
  TraceId: STR,
  SpanId: STR,
  ParentSpanId: STR,
  TraceState: STR,
  SpanName: STR,
  SpanKind: STR,
  ServiceName: STR,
  ResourceAttributes: MAP,
  ScopeName: STR,
  ScopeVersion: STR,
  SpanAttributes: MAP,
  Duration: /^U?Int64$/,
  StatusCode: STR,
  StatusMessage: STR,
  'Events.Timestamp': /^Array\(DateTime64\(9(, '[^']*')?\)\)$/,
  'Events.Name': /^Array\((LowCardinality\()?String\)?\)$/,
  'Events.Attributes': /^Array\(Map\((LowCardinality\()?String\)?, String\)\)$/,
  'Links.TraceId': /^Array\(String\)$/,
  'Links.SpanId': /^Array\(String\)$/,
  'Links.TraceState': /^Array\(String\)$/,
  'Links.Attributes': /^Array\(Map\((LowCardinality\()?String\)?, String\)\)$/,
};

async function select<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

function unsupported(found: string, whatToDo: string): MigrationError {
  return new MigrationError(
    'UNSUPPORTED_TRACES_TABLE',
    `${found}. Nothing was changed. ${whatToDo}`,
  );
}

/** Throws when the columns are not a table the views can read and the exporter can write. */
function checkColumns(
  where: string,
  onCluster: string,
  columns: ReadonlyMap<string, string>,
): void {
  const json = [...columns].filter(([, type]) => /\bJSON\b/.test(type)).map(([name]) => name);
  if (json.length > 0) {
    throw unsupported(
      `${where} is the JSON-typed spans table of the OpenTelemetry Collector contrib clickhouseexporter ` +
        `(JSON columns: ${json.join(', ')}); agenttrace's views and exporter read and write ` +
        `Map(LowCardinality(String), String) attributes, as in contrib's default table`,
      `Run migrate with another database or tracesTable and point a collector without JSON mode at it, ` +
        `or copy the spans into a Map-typed table.`,
    );
  }
  const scope = ['ScopeName', 'ScopeVersion'].filter((c) => !columns.has(c));
  if (scope.length > 0) {
    throw unsupported(
      `${where} has no ${scope.join(' / ')} column: a table from a contrib clickhouseexporter release ` +
        `before scope columns, and agenttrace's exporter writes them, so every insert would fail`,
      `Add them (older collectors keep writing; the columns default to ''), then run migrate again: ` +
        `ALTER TABLE ${where}${onCluster} ADD COLUMN IF NOT EXISTS ScopeName String CODEC(ZSTD(1)) AFTER ResourceAttributes, ` +
        `ADD COLUMN IF NOT EXISTS ScopeVersion String CODEC(ZSTD(1)) AFTER ScopeName`,
    );
  }
  const wrong = Object.entries(REQUIRED).flatMap(([name, accepted]) => {
    const type = columns.get(name);
    if (type === undefined) return [`${name} is missing`];
    return accepted.test(type) ? [] : [`${name} is ${type}`];
  });
  if (wrong.length > 0) {
    throw unsupported(
      `${where} is not a spans table in the contrib clickhouseexporter schema (${wrong.join('; ')})`,
      `Run migrate with another database or tracesTable.`,
    );
  }
}

/**
 * Inspects the spans table (`localTable`: the shard-local one on a cluster)
 * and its trace-id lookup (`lookupTable`, likewise); throws `UNSUPPORTED_TRACES_TABLE` for a variant the
 * views cannot read.
 */
export async function inspectStore(
  client: ClickHouseClient,
  database: string,
  localTable: string,
  lookupTable: string,
  cluster: string | undefined,
): Promise<StoreInspection> {
  const params = { db: database, table: localTable, lookup: lookupTable };
  const columns = await select<{ name: string; type: string }>(
    client,
    'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String}',
    params,
  );
  const [setting] = await select<{ n: number | string }>(
    client,
    'SELECT count() AS n FROM system.settings WHERE name = {name:String}',
    { name: TEXT_INDEX_HINT_SETTING },
  );
  const [lookup] = await select<{ engine: string }>(
    client,
    'SELECT engine FROM system.tables WHERE database = {db:String} AND name = {lookup:String}',
    params,
  );
  const [start] = await select<{ type: string }>(
    client,
    "SELECT type FROM system.columns WHERE database = {db:String} AND table = {lookup:String} AND name = 'Start'",
    params,
  );
  const base = {
    traceIdTsEngine: lookup?.engine,
    traceIdTsAggregateColumns: (start?.type ?? '').startsWith('SimpleAggregateFunction'),
    hasTextIndexHintSetting: Number(setting?.n ?? 0) > 0,
  };
  if (columns.length === 0) return { tracesTable: 'none', ...base };
  const where = `${quoteIdent(database)}.${quoteIdent(localTable)}`;
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${quoteIdent(cluster)}`;
  checkColumns(where, onCluster, new Map(columns.map((c) => [c.name, c.type])));
  const indexes = await select<{ type: string }>(
    client,
    'SELECT type FROM system.data_skipping_indices WHERE database = {db:String} AND table = {table:String}',
    params,
  );
  const text = indexes.some((i) => i.type === 'text');
  return { tracesTable: text ? 'text_index' : 'bloom', ...base };
}
