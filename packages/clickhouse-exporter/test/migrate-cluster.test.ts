/**
 * The cluster DDL, checked in the engine since no cluster runs here: every
 * statement `planMigrations({ cluster })` emits parses (`formatQuery`, the
 * engine's own parser); the views make each IN / JOIN over a Distributed
 * table GLOBAL and carry `distributed_product_mode = 'global'`; and the same
 * cluster view SQL, without ON CLUSTER, answers the known runs on one node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { VIEW_NAMES, migrate, planMigrations } from '../src/migrate.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { insertSpans } from './support/rows.js';
import { buildFixture } from './fixtures/agent-runs.js';
import { expectFixtureViews, isRunSpan } from './fixtures/agent-runs-checks.js';

const path = tempDataPath();
let client: ClickHouseClient;
beforeAll(() => {
  client = openClient(path);
});
afterAll(async () => {
  await client.close();
  removeDataPath(path);
});

const CLUSTER = 'prod';

/** The engine's formatting of `query`; throws on a syntax error. */
async function format(query: string): Promise<string> {
  const [row] = await rows<{ q: string }>(client, 'SELECT formatQuery({q:String}) AS q', {
    q: query,
  });
  return row?.q ?? '';
}

/** The last (current) definition of each query view in the cluster plan. */
function clusterViews(database: string): Map<string, string> {
  const views = new Map<string, string>();
  for (const statement of planMigrations({ database, cluster: CLUSTER }).flatMap(
    (m) => m.statements,
  )) {
    const name = /^CREATE OR REPLACE VIEW `[^`]+`\.`([^`]+)`/.exec(statement)?.[1];
    if (name !== undefined) views.set(name, statement);
  }
  return views;
}

describe('planMigrations for a cluster', () => {
  it('emits only statements the engine parses', async () => {
    const statements = planMigrations({ database: 'obs', cluster: CLUSTER, ttlDays: 30 }).flatMap(
      (m) => m.statements,
    );
    expect(statements.length).toBeGreaterThan(30);
    for (const statement of statements) {
      const formatted = await format(statement);
      expect(formatted.length).toBeGreaterThan(0);
    }
  });

  it('makes every IN and JOIN of the views GLOBAL and sets distributed_product_mode', async () => {
    const views = clusterViews('obs');
    expect([...views.keys()].sort()).toEqual([...VIEW_NAMES].sort());
    let joins = 0;
    for (const [name, statement] of views) {
      const formatted = await format(statement);
      expect([name, formatted]).toEqual([name, expect.stringContaining('ON CLUSTER prod')]);
      expect([name, formatted]).toEqual([
        name,
        expect.stringMatching(/SETTINGS .*distributed_product_mode = 'global'/),
      ]);
      const local = [
        ...formatted.matchAll(
          /(\S+) (?:(?:INNER|LEFT|FULL OUTER) )?JOIN\b|(\S+) (?:NOT )?IN \(\s*SELECT\b/g,
        ),
      ]
        // ARRAY JOIN unnests a column and IN ('a', 'b') is a list: neither reads a table.
        .filter((m) => m[1] !== 'ARRAY');
      for (const m of local) {
        joins++;
        expect([name, m[0]]).toEqual([name, expect.stringMatching(/^GLOBAL /)]);
      }
    }
    // agent_steps (2 IN, 2 JOIN), agent_failures (1), agent_stats_hourly (1),
    // agent_signals (4 JOIN), agent_trace_runs (1 IN), agent_regressions (1 JOIN); since 0022
    // agent_feedback (3), agent_session_index (2 JOIN), agent_sessions (1 JOIN, 1 IN); since 0025
    // agent_stats (2 IN, 1 JOIN); since 0021 agent_handoffs (1 IN, 1 JOIN); since 0024
    // agent_signals none (was 4 JOIN), agent_signals_window (3 IN, 3 JOIN); since 0028
    // agent_stats (4 IN, 3 JOIN); since 0031 agent_stats (2 IN, 3 JOIN); since 0033
    // agent_signals_window (4 IN, 1 NOT IN, 3 JOIN); since 0036 agent_stats_hourly none (was 1 JOIN).
    expect(joins).toBe(29);
  });

  it('gives the same answers as the single-node views (run on one node without ON CLUSTER)', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    for (const statement of clusterViews(db).values()) {
      await client.command({ query: statement.replace(` ON CLUSTER \`${CLUSTER}\``, '') });
    }
    const [steps] = await rows<{ q: string }>(
      client,
      `SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'agent_steps'`,
      { db },
    );
    expect(steps?.q).toContain('GLOBAL INNER JOIN');
    const fx = buildFixture();
    await insertSpans(
      client,
      db,
      fx.spans.filter((s) => !isRunSpan(s)),
    );
    await insertSpans(client, db, fx.spans.filter(isRunSpan));
    await expectFixtureViews(client, db, fx);
  });
});
