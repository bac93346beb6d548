/**
 * Panel helpers: each makes one foundation-SDK panel reading one SQL query
 * of the provisioned ClickHouse data source, laid out on a 24-column grid.
 */
import { PanelBuilder as BarChartPanel } from '@grafana/grafana-foundation-sdk/barchart';
import {
  BigValueGraphMode,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VisibilityMode,
} from '@grafana/grafana-foundation-sdk/common';
import type { DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, QueryFormat, sql } from './datasource.js';

/** Position and size of a panel on the dashboard grid (24 columns wide). */
export interface Place {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What every panel has: a title, a description and its SQL. */
export interface PanelSpec {
  title: string;
  description: string;
  rawSql: string;
  place: Place;
  /** Grafana unit of the values, e.g. `ms`, `percentunit`, `currencyUSD`. */
  unit?: string;
}

/** A time series over `time` (the query returns `time` first, ordered by it). */
export function timeSeries(spec: PanelSpec & { stacked?: boolean }) {
  const panel = new TimeSeriesPanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .gridPos(spec.place)
    .withTarget(sql(spec.rawSql, QueryFormat.timeSeries))
    .fillOpacity(spec.stacked ? 60 : 10)
    .spanNulls(false);
  if (spec.stacked) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (spec.unit !== undefined) panel.unit(spec.unit);
  return panel;
}

/** One big number, the last (only) value of the query. */
export function stat(spec: PanelSpec & { decimals?: number }) {
  const panel = new StatPanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .gridPos(spec.place)
    .withTarget(sql(spec.rawSql, QueryFormat.table))
    .graphMode(BigValueGraphMode.None)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (spec.unit !== undefined) panel.unit(spec.unit);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  return panel;
}

/** A table; `overrides` maps a column name to its field-config properties. */
export function table(spec: PanelSpec & { overrides?: Record<string, DynamicConfigValue[]> }) {
  const panel = new TablePanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .gridPos(spec.place)
    .withTarget(sql(spec.rawSql, QueryFormat.table));
  if (spec.unit !== undefined) panel.unit(spec.unit);
  for (const [name, properties] of Object.entries(spec.overrides ?? {}))
    panel.overrideByName(name, properties);
  return panel;
}

/** Bars over the first (string) column of a table-format query. */
export function barChart(spec: PanelSpec & { stacked?: boolean }) {
  const panel = new BarChartPanel()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .gridPos(spec.place)
    .withTarget(sql(spec.rawSql, QueryFormat.table))
    .showValue(VisibilityMode.Auto)
    .stacking(spec.stacked ? StackingMode.Normal : StackingMode.None);
  if (spec.unit !== undefined) panel.unit(spec.unit);
  return panel;
}

/** Field-config property setting a column's unit. */
export const unit = (value: string): DynamicConfigValue => ({ id: 'unit', value });
/** Field-config property setting a column's display name. */
export const displayName = (value: string): DynamicConfigValue => ({ id: 'displayName', value });
