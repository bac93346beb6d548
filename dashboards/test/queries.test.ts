/**
 * Every query of every dashboard, and every variable query, rendered as
 * Grafana and the plugin render it (support/grafana-macros.ts) and run on the
 * real engine (chDB) filled with demo data from the SDK and the exporter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards } from '../src/index.js';
import { QueryFormat } from '../src/datasource.js';
import { seedDemo, type DemoData } from './support/demo-data.js';
import { openEngine, runQuery, type QueryResult, type TestEngine } from './support/engine.js';
import { renderQuery, type QueryContext, type VariableState } from './support/grafana-macros.js';
import {
  overriddenColumns,
  queriesOf,
  variableSql,
  variableStates,
  type PanelQuery,
} from './support/panels.js';

const MINUTE = 60_000;
const dashboards = buildDashboards().map((d) => d.dashboard);
const panelQueries = dashboards.flatMap(queriesOf);
const label = (q: PanelQuery) => `${q.dashboard} › ${q.panel.title ?? '?'}`;

/** A narrower selection than All, which every panel must still run with. */
const SELECTED: Record<string, string | string[]> = {
  agent: ['support_agent'],
  version: ['1.0.0', '1.1.0'],
  environment: ['prod'],
  status: ['failure', 'partial'],
  compare_by: 'agent_version',
};

let engine: TestEngine;
let demo: DemoData;
let ctx: QueryContext;

beforeAll(async () => {
  engine = await openEngine();
  demo = await seedDemo(engine.store, engine.database);
  // The data source's default database is where the views live.
  await engine.store.client.command({ query: `USE ${engine.database}` });
  ctx = {
    from: new Date(demo.from.getTime() - 5 * MINUTE),
    to: new Date(demo.to.getTime() + 5 * MINUTE),
    intervalMs: MINUTE,
  };
}, 120_000);

afterAll(async () => {
  await engine?.store.close();
});

function variablesFor(q: PanelQuery, selected: boolean): VariableState[] {
  const dashboard = dashboards.find((d) => d.uid === q.dashboard);
  const states = dashboard === undefined ? [] : variableStates(dashboard);
  if (!selected) return states;
  return states.map((v) => ({ ...v, current: SELECTED[v.name] ?? v.current }));
}

const isNumeric = (type: string) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(type);
const isTime = (type: string) => /^(Nullable\()?DateTime/.test(type);
const isText = (type: string) => /^(Nullable\()?(LowCardinality\()?String/.test(type);

function checkShape(q: PanelQuery, result: QueryResult): void {
  const [first, ...rest] = result.meta;
  expect(first, 'at least one column').toBeDefined();
  const names = result.meta.map((m) => m.name);
  if (q.query.format === QueryFormat.timeSeries) {
    // Wide (time, metric…) or long (time, label, metric…) time series.
    expect(first?.name).toBe('time');
    expect(isTime(first?.type ?? '')).toBe(true);
    const metrics = rest[0] !== undefined && isText(rest[0].type) ? rest.slice(1) : rest;
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) expect(isNumeric(m.type), `${m.name}: ${m.type}`).toBe(true);
  } else if (q.panel.type === 'stat') {
    for (const m of result.meta) expect(isNumeric(m.type), `${m.name}: ${m.type}`).toBe(true);
  } else if (q.panel.type === 'barchart') {
    expect(isText(first?.type ?? ''), `${first?.name}: ${first?.type}`).toBe(true);
    for (const m of rest) expect(isNumeric(m.type), `${m.name}: ${m.type}`).toBe(true);
  }
  // Units and trace links are bound by column name: the columns must exist.
  for (const column of overriddenColumns(q.panel)) expect(names).toContain(column);
  expect(new Set(names).size, 'column names are unique').toBe(names.length);
}

describe('dashboard queries on the real engine', () => {
  it('has demo data in every view', async () => {
    for (const view of [
      'agent_runs',
      'agent_steps',
      'agent_failures',
      'agent_feedback',
      'agent_stats',
      'agent_stats_hourly',
      'agent_signals',
      'agent_sessions',
    ]) {
      const { data } = await runQuery(engine, `SELECT count() FROM ${view}`);
      expect(Number(data[0]?.[0]), view).toBeGreaterThan(0);
    }
  });

  it.each(panelQueries.map((q) => [label(q), q] as const))(
    '%s runs with every variable at All, returns the expected columns and rows',
    async (_name, q) => {
      const sql = renderQuery(q.query.rawSql, variablesFor(q, false), ctx);
      expect(sql).not.toMatch(/\$__|\$\{|\[\[/);
      const result = await runQuery(engine, sql);
      checkShape(q, result);
      expect(result.data.length, sql).toBeGreaterThan(0);
    },
  );

  it.each(panelQueries.map((q) => [label(q), q] as const))(
    '%s runs with specific variable values selected',
    async (_name, q) => {
      const sql = renderQuery(q.query.rawSql, variablesFor(q, true), ctx);
      expect(sql).not.toMatch(/\$__|\$\{|\[\[/);
      checkShape(q, await runQuery(engine, sql));
    },
  );

  it('returns nothing outside the demo time range', async () => {
    const q = panelQueries.find(
      (p) => p.dashboard === 'agenttrace-overview' && p.panel.title === 'Runs',
    );
    expect(q).toBeDefined();
    const before = {
      from: new Date(ctx.from.getTime() - 60 * MINUTE),
      to: ctx.from,
      intervalMs: MINUTE,
    };
    const { data } = await runQuery(
      engine,
      renderQuery(q?.query.rawSql ?? '', variablesFor(q!, false), before),
    );
    expect(Number(data[0]?.[0])).toBe(0);
  });

  it('narrows the runs to the selected values', async () => {
    const q = panelQueries.find(
      (p) => p.dashboard === 'agenttrace-runs' && p.panel.title === 'Runs',
    );
    const result = await runQuery(
      engine,
      renderQuery(q?.query.rawSql ?? '', variablesFor(q!, true), ctx),
    );
    const col = (name: string) => result.meta.findIndex((m) => m.name === name);
    expect(result.data.length).toBeGreaterThan(0);
    for (const row of result.data) {
      expect(row[col('agent')]).toBe('support_agent');
      expect(row[col('environment')]).toBe('prod');
      expect(['failure', 'partial']).toContain(row[col('status')]);
    }
  });

  it('finds the demo fallbacks from one provider to the other', async () => {
    const q = panelQueries.find((p) => p.panel.title === 'Fallbacks');
    const result = await runQuery(
      engine,
      renderQuery(q?.query.rawSql ?? '', variablesFor(q!, false), ctx),
    );
    const rows = result.data.map((r) =>
      Object.fromEntries(result.meta.map((m, i) => [m.name, r[i]])),
    );
    expect(rows).toEqual([
      {
        from_provider: 'openai',
        from_model: 'gpt-4o-mini',
        to_provider: 'anthropic',
        to_model: 'claude-sonnet-4-5',
        failure_code: 'rate_limited',
        fallbacks: 2,
      },
      {
        from_provider: 'anthropic',
        from_model: 'claude-sonnet-4-5',
        to_provider: 'openai',
        to_model: 'gpt-4o-mini',
        failure_code: 'rate_limited',
        fallbacks: 1,
      },
    ]);
  });

  it('compares providers per model, failed and answered calls in one row', async () => {
    const q = panelQueries.find((p) => p.panel.title === 'Providers and models');
    const result = await runQuery(
      engine,
      renderQuery(q?.query.rawSql ?? '', variablesFor(q!, false), ctx),
    );
    const rows = result.data.map((r) =>
      Object.fromEntries(result.meta.map((m, i) => [m.name, r[i]])),
    );
    expect(rows.map((r) => [r.provider, r.model_name, r.calls])).toEqual([
      ['anthropic', 'claude-sonnet-4-5', 6],
      ['openai', 'gpt-4o-mini', 6],
    ]);
  });

  it.each(
    dashboards.flatMap((d) =>
      (d.templating?.list ?? []).flatMap((v) => {
        const sql = variableSql(v);
        return sql === undefined ? [] : [[`${d.uid} › $${v.name}`, d.uid ?? '', sql] as const];
      }),
    ),
  )('variable %s lists values', async (_name, uid, rawSql) => {
    const dashboard = dashboards.find((d) => d.uid === uid);
    const sql = renderQuery(rawSql, dashboard === undefined ? [] : variableStates(dashboard), ctx);
    const result = await runQuery(engine, sql);
    expect(result.meta).toHaveLength(1);
    expect(result.data.length).toBeGreaterThan(0);
  });
});
