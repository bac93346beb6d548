/**
 * The dashboards as Grafana loads them: the committed JSON is what the
 * builders make (no drift), and it has the fields Grafana's dashboard schema
 * requires, typed at compile time by the foundation SDK's `Dashboard`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { buildDashboards, renderDashboard } from '../src/index.js';
import { DATASOURCE, type ClickHouseQuery } from '../src/datasource.js';
import { panelsOf, queriesOf, variableSql } from './support/panels.js';

const GENERATED = fileURLToPath(new URL('../generated/', import.meta.url));
const built = buildDashboards();

/** A committed dashboard, typed as Grafana's dashboard model. */
function committed(file: string): Dashboard {
  return JSON.parse(readFileSync(GENERATED + file, 'utf8')) as Dashboard;
}

describe('generated dashboards', () => {
  it('are exactly what `npm run -w dashboards build` writes (run it after changing src/)', () => {
    expect(
      readdirSync(GENERATED)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(built.map((d) => d.file).sort());
    for (const { file, dashboard } of built)
      expect(readFileSync(GENERATED + file, 'utf8'), file).toBe(renderDashboard(dashboard));
  });

  describe.each(built.map((d) => [d.file, committed(d.file)] as const))(
    '%s',
    (_file, dashboard) => {
      it('has the dashboard fields Grafana requires', () => {
        expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
        expect(dashboard.title).toBeTruthy();
        expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
        expect(typeof dashboard.time?.from).toBe('string');
        expect(typeof dashboard.time?.to).toBe('string');
        expect(Array.isArray(dashboard.tags)).toBe(true);
        expect(Array.isArray(dashboard.panels)).toBe(true);
        expect(Array.isArray(dashboard.templating?.list)).toBe(true);
        expect(panelsOf(dashboard).length).toBeGreaterThan(0);
      });

      it('has panels with unique ids, a type, a datasource, queries and a place on the grid', () => {
        const panels = panelsOf(dashboard);
        expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
        for (const panel of panels) {
          expect(panel.id, panel.title).toEqual(expect.any(Number));
          expect(['timeseries', 'stat', 'table', 'barchart']).toContain(panel.type);
          expect(panel.title).toBeTruthy();
          expect(panel.datasource).toEqual(DATASOURCE);
          expect(typeof panel.fieldConfig?.defaults).toBe('object');
          expect(Array.isArray(panel.fieldConfig?.overrides)).toBe(true);
          expect(typeof panel.options).toBe('object');
          const { x, y, w, h } = panel.gridPos ?? { x: -1, y: -1, w: 0, h: 0 };
          expect(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, panel.title).toBe(true);
          expect(panel.targets?.length).toBeGreaterThan(0);
          const refIds = (panel.targets ?? []).map((t) => (t as unknown as ClickHouseQuery).refId);
          expect(new Set(refIds).size).toBe(refIds.length);
        }
      });

      it('lays its panels out without overlaps', () => {
        const cells = new Map<string, string>();
        for (const panel of panelsOf(dashboard)) {
          const { x, y, w, h } = panel.gridPos!;
          for (let i = x; i < x + w; i++)
            for (let j = y; j < y + h; j++) {
              expect(cells.get(`${i},${j}`), `${panel.title} overlaps`).toBeUndefined();
              cells.set(`${i},${j}`, panel.title ?? '');
            }
        }
      });

      it('queries the views with the plugin macros, never the raw span maps', () => {
        for (const { panel, query } of queriesOf(dashboard)) {
          expect(query).toMatchObject({ datasource: DATASOURCE, editorType: 'sql', refId: 'A' });
          expect([0, 1]).toContain(query.format);
          expect(query.rawSql).toMatch(
            /\bFROM (agent_runs|agent_steps|agent_failures|agent_feedback|agent_stats|agent_stats_hourly|agent_signals|agent_signals_window|agent_sessions|agent_session_index|agent_run_facts|agent_signal_run_facts|agent_regression_run_facts)\b/,
          );
          expect(query.rawSql, panel.title).toMatch(/\$__timeFilter\(|\$__fromTime/);
          expect(query.rawSql).not.toMatch(/SpanAttributes|ResourceAttributes|otel_traces/);
          if (query.format === 0) expect(query.rawSql).toContain('$__timeInterval(');
        }
      });

      it('has variables Grafana can load', () => {
        for (const variable of dashboard.templating?.list ?? []) {
          expect(variable.name).toMatch(/^\w+$/);
          const type = String(variable.type);
          expect(['query', 'custom']).toContain(type);
          if (type === 'query') {
            expect(variable.datasource).toEqual(DATASOURCE);
            expect(variable.query).toMatchObject({ editorType: 'sql' });
            expect(variableSql(variable)).toMatch(/^SELECT /);
          }
          expect(variable.current).toBeDefined();
        }
      });
    },
  );

  it('have unique uids and all carry the agent, version and environment variables', () => {
    expect(new Set(built.map((d) => d.dashboard.uid)).size).toBe(built.length);
    for (const { dashboard } of built)
      expect((dashboard.templating?.list ?? []).map((v) => v.name)).toEqual(
        expect.arrayContaining(['agent', 'version', 'environment']),
      );
  });

  it('type-check as the foundation SDK dashboard model', () => {
    // Compile-time: a built dashboard and its panels are `Dashboard` and `Panel`.
    const dashboards: Dashboard[] = built.map((d) => d.dashboard);
    const panels: Panel[] = dashboards.flatMap(panelsOf);
    expect(panels.length).toBeGreaterThan(20);
  });
});
