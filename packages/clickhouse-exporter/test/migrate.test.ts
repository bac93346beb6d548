import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { MIGRATIONS_TABLE, VIEW_NAMES, migrate, planMigrations } from '../src/migrate.js';
import { MigrationError } from '../src/migration-error.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { insertSpans, runId, runSpan, traceId } from './support/rows.js';

const path = tempDataPath();
let client: ClickHouseClient;
beforeAll(() => {
  client = openClient(path);
});
afterAll(async () => {
  await client.close();
  removeDataPath(path);
});

async function schemaOf(db: string): Promise<{ name: string; create_table_query: string }[]> {
  return rows(
    client,
    `SELECT name, create_table_query FROM system.tables WHERE database = {db:String} ORDER BY name`,
    { db },
  );
}

describe('migrate', () => {
  it('creates the tables and the views', async () => {
    const db = uniqueDatabase();
    const result = await migrate(client, { database: db });
    expect(result.applied.map((m) => m.version)).toEqual(planMigrations().map((m) => m.version));
    const names = (await schemaOf(db)).map((t) => t.name);
    for (const name of [
      ...VIEW_NAMES,
      'otel_traces',
      'otel_traces_trace_id_ts',
      'otel_traces_trace_id_ts_mv',
      'model_prices',
      'agent_run_stats',
      'agent_step_stats',
      'agent_run_facts',
      'agent_foreign_traces',
      MIGRATIONS_TABLE,
    ]) {
      expect(names).toContain(name);
    }
  });

  it('changes nothing when run twice', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    const before = await schemaOf(db);
    const recorded = await rows(
      client,
      `SELECT version, name, checksum, applied_at FROM ${db}.${MIGRATIONS_TABLE} ORDER BY version`,
    );
    const [prices] = await rows<{ n: number }>(
      client,
      `SELECT count() AS n FROM ${db}.model_prices`,
    );
    const again = await migrate(client, { database: db });
    expect(again).toEqual({
      database: db,
      tracesTableFound: 'bloom',
      convertedTraceIdTs: false,
      applied: [],
      skipped: planMigrations().length,
    });
    expect(await schemaOf(db)).toEqual(before);
    expect(
      await rows(
        client,
        `SELECT version, name, checksum, applied_at FROM ${db}.${MIGRATIONS_TABLE} ORDER BY version`,
      ),
    ).toEqual(recorded);
    expect(await rows(client, `SELECT count() AS n FROM ${db}.model_prices`)).toEqual([prices]);
  });

  it('refuses an applied migration whose file changed', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    await client.command({
      query: `ALTER TABLE ${db}.${MIGRATIONS_TABLE} UPDATE checksum = 'edited' WHERE version = 3 SETTINGS mutations_sync = 2`,
    });
    const error = await migrate(client, { database: db }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringContaining('migration 3 (model_prices)') as unknown,
    });
  });

  it('names the field, the expectation and the value of an invalid option', async () => {
    await expect(migrate(client, { ttlDays: -1 })).rejects.toThrow(
      'ttlDays must be a non-negative integer (got -1)',
    );
    await expect(migrate(client, { ttlDays: 1.5 })).rejects.toThrow(
      'ttlDays must be a non-negative integer (got 1.5)',
    );
    await expect(migrate(client, { database: 'x; DROP' })).rejects.toThrow(
      'database must be an identifier of letters, digits and _ (got "x; DROP")',
    );
    await expect(migrate(client, { tracesTable: '' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  it('follows a custom traces table name and TTL', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db, tracesTable: 'spans', ttlDays: 30 });
    const names = (await schemaOf(db)).map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['spans', 'spans_trace_id_ts', 'spans_trace_id_ts_mv']),
    );
    expect(names).not.toContain('otel_traces');
    await insertSpans(
      client,
      db,
      [
        runSpan({
          traceId: traceId(),
          runId: runId(),
          agent: 'a',
          startMs: Date.now(),
          durationMs: 5,
        }),
      ],
      'spans',
    );
    expect(await rows(client, `SELECT agent FROM ${db}.agent_runs`)).toEqual([{ agent: 'a' }]);
    const [{ statement } = { statement: '' }] = await rows<{ statement: string }>(
      client,
      `SHOW CREATE TABLE ${db}.spans_trace_id_ts`,
    );
    expect(statement).toContain('TTL toDateTime(Start) + toIntervalDay(30)');
  });

  it('keeps data across a restart on the same path', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    const run = runId();
    await insertSpans(client, db, [
      runSpan({
        traceId: traceId(),
        runId: run,
        agent: 'persisted',
        startMs: Date.now(),
        durationMs: 5,
      }),
    ]);
    await client.close();
    client = openClient(path);
    expect(await rows(client, `SELECT run_id, agent FROM ${db}.agent_runs`)).toEqual([
      { run_id: run, agent: 'persisted' },
    ]);
    expect(await rows(client, `SELECT agent, runs FROM ${db}.agent_stats_hourly`)).toEqual([
      { agent: 'persisted', runs: 1 },
    ]);
    expect((await migrate(client, { database: db })).applied).toEqual([]);
  });
});

describe('planMigrations', () => {
  it('emits ON CLUSTER, Replicated engines and Distributed tables for a cluster', () => {
    const sql = planMigrations({ database: 'obs', cluster: 'prod' }).flatMap((m) => m.statements);
    const creates = sql.filter((s) =>
      /^CREATE (TABLE|DATABASE|MATERIALIZED VIEW|OR REPLACE VIEW)/.test(s),
    );
    expect(creates.length).toBeGreaterThan(10);
    for (const statement of creates) expect(statement).toContain('ON CLUSTER `prod`');
    const text = sql.join(';\n');
    expect(text).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/obs/otel_traces_local', '{replica}')",
    );
    expect(text).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/obs/model_prices', '{replica}', updated_at)",
    );
    expect(text).toContain(
      "ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/obs/agent_run_stats_local', '{replica}')",
    );
    expect(text).toContain(
      "CREATE TABLE IF NOT EXISTS `obs`.`otel_traces` ON CLUSTER `prod` AS `obs`.`otel_traces_local` ENGINE = Distributed('prod', 'obs', 'otel_traces_local', cityHash64(TraceId))",
    );
    expect(text).toContain("ENGINE = Distributed('prod', 'obs', 'agent_step_stats_local', rand())");
    // Materialized views read and write the shard-local tables.
    expect(text).toMatch(
      /TO `obs`\.`agent_step_stats_local`[\s\S]*FROM `obs`\.`otel_traces_local`/,
    );
    expect(text).not.toMatch(/\{\{/);
  });

  it('emits plain engines and no ON CLUSTER on a single node', () => {
    const text = planMigrations()
      .flatMap((m) => m.statements)
      .join(';\n');
    expect(text).not.toContain('ON CLUSTER');
    expect(text).not.toContain('Replicated');
    expect(text).not.toContain('Distributed');
    expect(text).not.toContain('TTL');
  });
});

describe('migrate over an existing collector table', () => {
  it('backfills the run facts and stats rollups from spans already stored', async () => {
    const db = uniqueDatabase();
    // What a collector would have created and written before agenttrace's migrations.
    const [traces] = planMigrations({ database: db });
    for (const query of traces?.statements ?? []) await client.command({ query });
    const run = runId();
    const trace = traceId();
    await insertSpans(client, db, [
      runSpan({
        traceId: trace,
        runId: run,
        agent: 'old',
        startMs: Date.UTC(2026, 0, 5, 8),
        durationMs: 50,
      }),
    ]);
    await migrate(client, { database: db });
    expect(await rows(client, `SELECT run_id, agent FROM ${db}.agent_runs`)).toEqual([
      { run_id: run, agent: 'old' },
    ]);
    expect(await rows(client, `SELECT agent, runs FROM ${db}.agent_stats_hourly`)).toEqual([
      { agent: 'old', runs: 1 },
    ]);
  });
});
