/**
 * The A/B dashboard's regression panels, rendered as Grafana and the plugin
 * render them and run on the real engine over SDK-made runs, answer exactly
 * what `listRegressions` answers for the same agent, arms and range: one
 * test, bound to dashboard variables instead of query parameters.
 */
import { listRegressions, type RegressionFiltersInput } from '@agenttrace/query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REGRESSION_ARMS,
  writeRegressionRuns,
} from '../../packages/query/test/support/regression-runs.js';
import { abComparisonDashboard, AUTO_ARM } from '../src/dashboards/ab-comparison.js';
import { openEngine, runQuery, type TestEngine } from './support/engine.js';
import { renderQuery, type QueryContext } from './support/grafana-macros.js';
import { queriesOf, variableStates } from './support/panels.js';

const dashboard = abComparisonDashboard().build();
const panel = (title: string) => {
  const q = queriesOf(dashboard).find((p) => p.panel.title === title);
  if (q === undefined) throw new Error(`no panel ${title}`);
  return q.query.rawSql;
};

let engine: TestEngine;
let ctx: QueryContext;

beforeAll(async () => {
  engine = await openEngine();
  await writeRegressionRuns(engine.store, REGRESSION_ARMS, engine.database);
  await engine.store.client.command({ query: `USE ${engine.database}` });
  ctx = {
    from: new Date(Date.now() - 3_600_000),
    to: new Date(Date.now() + 60_000),
    intervalMs: 60_000,
  };
}, 120_000);

afterAll(async () => {
  await engine?.store.close();
});

/** The panel's rows as objects, with the variables set to `selected`. */
async function panelRows(title: string, selected: Record<string, string | string[]>) {
  const states = variableStates(dashboard).map((v) => ({
    ...v,
    current: selected[v.name] ?? v.current,
  }));
  const result = await runQuery(engine, renderQuery(panel(title), states, ctx));
  return result.data.map((row) => Object.fromEntries(result.meta.map((m, i) => [m.name, row[i]])));
}

const range = () => ({ since: ctx.from.toISOString(), until: ctx.to.toISOString() });

describe('A/B dashboard regression panels', () => {
  it.each<[string, Record<string, string | string[]>, RegressionFiltersInput]>([
    [
      'versions, pair picked automatically',
      { agent: ['reg_fire'], compare_by: 'agent_version' },
      { agent: 'reg_fire' },
    ],
    [
      'versions, chosen pair and min runs',
      {
        agent: ['reg_few'],
        compare_by: 'agent_version',
        baseline: '1.0.0',
        candidate: '2.0.0',
        min_runs: '10',
      },
      { agent: 'reg_few', baseline: '1.0.0', candidate: '2.0.0', minRuns: 10 },
    ],
    [
      'variants against the control, alpha 0.01',
      { agent: ['reg_ab'], compare_by: 'variant', alpha: '0.01' },
      { agent: 'reg_ab', dimension: 'variant', alpha: 0.01 },
    ],
  ])('answers as listRegressions: %s', async (_name, selected, filters) => {
    const fromPanel = await panelRows('Regression tests', selected);
    const fromQuery = await listRegressions(engine.store.client, { ...filters, ...range() });
    expect(fromQuery.length).toBeGreaterThan(0);
    expect(fromPanel).toEqual(fromQuery);
  });

  it('counts the regressed metrics in the stat panel', async () => {
    const fire = await panelRows('Regressions', {
      agent: ['reg_fire'],
      compare_by: 'agent_version',
    });
    expect(fire).toEqual([{ regressions: 3 }]);
    const near = await panelRows('Regressions', {
      agent: ['reg_near'],
      compare_by: 'agent_version',
      baseline: AUTO_ARM,
    });
    expect(near).toEqual([{ regressions: 0 }]);
  });
});
