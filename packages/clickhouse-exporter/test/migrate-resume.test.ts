/**
 * A migration run that stops half-way leaves a store the next run finishes:
 * statements done are recorded and not repeated (a backfill counted twice
 * would double every rollup), and a backfill that fails leaves its target
 * as it was. Failures are caused through the store itself: an object in
 * the way of a later statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate, planMigrations } from '../src/migrate.js';
import { MigrationError } from '../src/migration-error.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { insertSpans } from './support/rows.js';
import { buildFixture } from './fixtures/agent-runs.js';
import type { Fixture } from './fixtures/agent-runs.js';
import { expectFixtureViews } from './fixtures/agent-runs-checks.js';

const path = tempDataPath();
let client: ClickHouseClient;
beforeAll(() => {
  client = openClient(path);
});
afterAll(async () => {
  await client.close();
  removeDataPath(path);
});

/** A database with the spans table (migration 1, as a collector would have it) holding the fixture. */
async function storeWithSpans(): Promise<{ db: string; fx: Fixture }> {
  const db = uniqueDatabase();
  const [traces] = planMigrations({ database: db });
  for (const query of traces?.statements ?? []) await client.command({ query });
  const fx = buildFixture();
  await insertSpans(client, db, fx.spans);
  return { db, fx };
}

const appliedVersions = async (db: string) =>
  (
    await rows<{ version: number }>(
      client,
      `SELECT version FROM ${db}.agenttrace_migrations ORDER BY version`,
    )
  ).map((r) => r.version);

describe('migrate after a run that stopped half-way', () => {
  it('resumes after the statements already done, without backfilling twice', async () => {
    const { db, fx } = await storeWithSpans();
    // In the way of migration 7's second backfill (agent_step_stats), after its
    // first one (agent_run_stats) was moved into place.
    await client.command({
      query: `CREATE TABLE ${db}.agent_step_stats__agenttrace_backfill (x UInt8) ENGINE = MergeTree ORDER BY x`,
    });
    const error = await migrate(client, { database: db }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect((error as Error).message).toMatch(
      /^migration 7 \(agent_stats\) failed at statement \d+ of \d+: .*running migrate again resumes there$/s,
    );
    const [runStats] = await rows<{ runs: number }>(
      client,
      `SELECT countMerge(runs) AS runs FROM ${db}.agent_run_stats`,
    );
    expect(runStats?.runs).toBe(5);
    expect(await appliedVersions(db)).toEqual([1, 2, 3, 4, 5, 6]);

    await client.command({ query: `DROP TABLE ${db}.agent_step_stats__agenttrace_backfill` });
    const result = await migrate(client, { database: db });
    // It picks up at migration 7 and applies the rest, each once.
    const resumed = result.applied.map((m) => m.version);
    expect(resumed[0]).toBe(7);
    expect(await appliedVersions(db)).toEqual([1, 2, 3, 4, 5, 6, ...resumed]);
    // Each run counted once in the rollups: the finished backfill was not run again.
    await expectFixtureViews(client, db, fx);
  });

  it('leaves the target of a failed backfill untouched, and fills it on the next run', async () => {
    const { db, fx } = await storeWithSpans();
    // In the way of the staging copy the run-facts backfill fills before moving it.
    await client.command({
      query: `CREATE TABLE ${db}.agent_run_facts__agenttrace_backfill (x UInt8) ENGINE = MergeTree ORDER BY x`,
    });
    const error = await migrate(client, { database: db }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect((error as Error).message).toContain('migration 5 (agent_runs) failed at statement');
    expect(await rows(client, `SELECT count() AS n FROM ${db}.agent_run_facts`)).toEqual([
      { n: 0 },
    ]);

    await client.command({ query: `DROP TABLE ${db}.agent_run_facts__agenttrace_backfill` });
    await migrate(client, { database: db });
    await expectFixtureViews(client, db, fx);
    const leftovers = await rows(
      client,
      `SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE '%agenttrace_backfill'`,
      { db },
    );
    expect(leftovers).toEqual([]);
  });
});
