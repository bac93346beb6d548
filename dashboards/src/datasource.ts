/**
 * The ClickHouse data source the dashboards query, and a foundation-SDK
 * builder for its query type (the SDK ships none for this plugin).
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** Plugin id of the Grafana ClickHouse data source. */
export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';

/** Uid the provisioning file gives the data source; every panel points at it. */
export const DATASOURCE_UID = 'agenttrace-clickhouse';

/** Reference to the provisioned data source. */
export const DATASOURCE: DataSourceRef = { type: CLICKHOUSE_PLUGIN_ID, uid: DATASOURCE_UID };

/**
 * Result shape the plugin's backend builds (sqlds `format`): 0 time series,
 * 1 table, 2 logs, 3 trace.
 */
export const QueryFormat = { timeSeries: 0, table: 1, logs: 2, trace: 3 } as const;
/** One of {@link QueryFormat}. */
export type QueryFormat = (typeof QueryFormat)[keyof typeof QueryFormat];

/** A raw-SQL query of the ClickHouse plugin, as stored in a panel's `targets`. */
export interface ClickHouseQuery extends Dataquery {
  refId?: string;
  hide?: boolean;
  datasource: DataSourceRef;
  editorType: 'sql';
  /** SQL with the plugin's `$__` macros and dashboard variables. */
  rawSql: string;
  format: QueryFormat;
}

/**
 * Builds a {@link ClickHouseQuery} for a panel.
 *
 * @example
 * new TablePanelBuilder().withTarget(sql('SELECT 1', QueryFormat.table))
 */
export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly query: ClickHouseQuery;

  constructor(rawSql: string, format: QueryFormat) {
    this.query = {
      refId: 'A',
      datasource: DATASOURCE,
      editorType: 'sql',
      rawSql,
      format,
      _implementsDataqueryVariant() {},
    };
  }

  /** Sets the query's ref id. @default 'A' */
  refId(refId: string): this {
    this.query.refId = refId;
    return this;
  }

  build(): ClickHouseQuery {
    return this.query;
  }
}

/** Shorthand for `new ClickHouseQueryBuilder(rawSql, format)`. */
export function sql(rawSql: string, format: QueryFormat): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(rawSql, format);
}
