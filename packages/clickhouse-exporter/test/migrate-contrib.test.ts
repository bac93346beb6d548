/**
 * `migrate` over each spans table the OpenTelemetry Collector contrib
 * clickhouseexporter creates, made with contrib's DDL (fixtures/contrib-*.sql,
 * each citing the contrib commit it was read at): the bloom-filter table, the
 * text-index table (ClickHouse ≥ 26.2), the JSON-typed table and the table of
 * older releases without ScopeName/ScopeVersion, plus contrib's trace-id
 * lookup. Spans are written with the exporter's own insert statement.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../src/migrate.js';
import { MigrationError } from '../src/migration-error.js';
import { splitStatements } from '../src/schema-template.js';
import { insertStatement, writeBatch } from '../src/store-write.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { buildFixture } from './fixtures/agent-runs.js';
import { expectFixtureViews, isRunSpan } from './fixtures/agent-runs-checks.js';
import type { SpanRow } from './support/rows.js';

const path = tempDataPath();
let client: ClickHouseClient;
let engineVersion = '';
beforeAll(async () => {
  client = openClient(path);
  [{ v: engineVersion } = { v: '' }] = await rows<{ v: string }>(client, 'SELECT version() AS v');
});
afterAll(async () => {
  await client.close();
  removeDataPath(path);
});

/** Runs a contrib DDL fixture for `db`.`otel_traces`. */
async function contribDdl(db: string, fixture: string): Promise<void> {
  const text = readFileSync(new URL(`./fixtures/${fixture}.sql`, import.meta.url), 'utf8')
    .replaceAll('{database}', db)
    .replaceAll('{table}', 'otel_traces');
  for (const query of splitStatements(text)) await client.command({ query });
}

/** A database holding contrib's spans table of `variant` and contrib's trace-id lookup. */
async function contribStore(variant: string): Promise<string> {
  const db = uniqueDatabase();
  await client.command({ query: `CREATE DATABASE ${db}` });
  await contribDdl(db, `contrib-traces-${variant}`);
  await contribDdl(db, 'contrib-trace-id-ts');
  return db;
}

/** Writes spans with the exporter's insert statement (the contrib column list). */
async function write(db: string, spans: SpanRow[]) {
  const body = spans.map((s) => JSON.stringify(s)).join('\n');
  return writeBatch(client, insertStatement(db, 'otel_traces'), body, `t-${Math.random()}`);
}

async function schemaOf(db: string): Promise<unknown[]> {
  return rows(
    client,
    `SELECT name, create_table_query FROM system.tables WHERE database = {db:String} ORDER BY name`,
    { db },
  );
}

/** ClickHouse version as [major, minor]. */
const versionOf = (v: string) => v.split('.').slice(0, 2).map(Number) as [number, number];

describe('migrate over a contrib clickhouseexporter spans table', () => {
  for (const variant of ['bloom', 'text'] as const) {
    it(`${variant} indexes: detected, migrated, and the views answer the known runs`, async (ctx) => {
      const [maj, min] = versionOf(engineVersion);
      if (variant === 'text' && (maj < 26 || (maj === 26 && min < 2))) {
        // contrib creates TYPE text(tokenizer = 'array') indexes only on ClickHouse >= 26.2.
        ctx.skip(`chDB engine ${engineVersion} has no GA text index (needs >= 26.2)`);
      }
      const db = await contribStore(variant);
      const fx = buildFixture();
      // Steps stored before agenttrace's migrations (backfilled), runs after (materialized views).
      expect(
        await write(
          db,
          fx.spans.filter((s) => !isRunSpan(s)),
        ),
      ).toEqual({ kind: 'success' });
      const result = await migrate(client, { database: db });
      expect(result.tracesTableFound).toBe(variant === 'bloom' ? 'bloom' : 'text_index');
      expect(await write(db, fx.spans.filter(isRunSpan))).toEqual({ kind: 'success' });
      await expectFixtureViews(client, db, fx);
      const [steps] = await rows<{ q: string }>(
        client,
        `SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'agent_steps'`,
        { db },
      );
      expect(steps?.q).toContain('query_plan_text_index_add_hint = 0');
    });
  }

  it('text indexes: the views fail without their planner setting (the workaround is needed)', async (ctx) => {
    const [maj, min] = versionOf(engineVersion);
    if (maj < 26 || (maj === 26 && min < 2))
      ctx.skip(`chDB engine ${engineVersion} has no GA text index (needs >= 26.2)`);
    const db = await contribStore('text');
    const fx = buildFixture();
    await migrate(client, { database: db });
    await write(db, fx.spans);
    // agent_feedback without its SETTINGS clause (agent_steps since 0009 no
    // longer has the shape the planner fails on, but carries the setting too).
    const [feedback] = await rows<{ q: string }>(
      client,
      `SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'agent_feedback'`,
      { db },
    );
    const plain = (feedback?.q ?? '')
      .replace(/^CREATE VIEW \S+/, `CREATE VIEW ${db}.agent_feedback_plain`)
      .replace(/SETTINGS query_plan_text_index_add_hint = 0\s*$/, '');
    expect(plain).not.toContain('query_plan_text_index_add_hint');
    await client.command({ query: plain });
    const scored = (view: string) => `SELECT * FROM ${db}.${view} WHERE metric != ''`;
    await expect(rows(client, scored('agent_feedback_plain'))).rejects.toThrow(/Not found column/);
    expect((await rows(client, scored('agent_feedback'))).length).toBeGreaterThan(0);
    const failed = (view: string) => `SELECT * FROM ${db}.${view} WHERE failure_code != ''`;
    expect(await rows(client, failed('agent_steps'))).toHaveLength(5);
    expect(await rows(client, `SELECT count() AS n FROM ${db}.agent_failures`)).toEqual([{ n: 8 }]);
  });

  it('JSON-typed: stops before changing anything, naming the table and what to do', async () => {
    const db = await contribStore('json');
    const before = await schemaOf(db);
    const error = await migrate(client, { database: db }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TRACES_TABLE' });
    const message = (error as Error).message;
    expect(message).toContain(`\`${db}\`.\`otel_traces\` is the JSON-typed spans table`);
    expect(message).toContain('ResourceAttributes, SpanAttributes');
    expect(message).toContain('another database or tracesTable');
    expect(message).toContain('Nothing was changed.');
    expect(await schemaOf(db)).toEqual(before);
  });

  it('without ScopeName/ScopeVersion: stops before changing anything; with the ALTER it names, migrates', async () => {
    const db = await contribStore('no-scope');
    const fx = buildFixture();
    // The exporter writes the scope columns: on this table every insert fails.
    expect(await write(db, fx.spans)).toMatchObject({ kind: 'failure' });
    const before = await schemaOf(db);
    const error = await migrate(client, { database: db }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TRACES_TABLE' });
    expect(await schemaOf(db)).toEqual(before);
    const alter = /run migrate again: (ALTER TABLE .*)$/.exec((error as Error).message)?.[1];
    expect(alter).toContain('ADD COLUMN IF NOT EXISTS ScopeName String');
    await client.command({ query: alter ?? '' });
    expect((await migrate(client, { database: db })).tracesTableFound).toBe('bloom');
    expect(
      await write(
        db,
        fx.spans.filter((s) => !isRunSpan(s)),
      ),
    ).toEqual({ kind: 'success' });
    expect(await write(db, fx.spans.filter(isRunSpan))).toEqual({ kind: 'success' });
    await expectFixtureViews(client, db, fx);
  });
});

describe('migrate and the trace-id lookup', () => {
  const engineOf = async (db: string) =>
    (
      await rows<{ engine_full: string }>(
        client,
        `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'otel_traces_trace_id_ts'`,
        { db },
      )
    )[0]?.engine_full;

  it("creates contrib's AggregatingMergeTree lookup, and keeps contrib's own", async () => {
    const contrib = await contribStore('bloom');
    const fresh = uniqueDatabase();
    await migrate(client, { database: contrib });
    await migrate(client, { database: fresh });
    expect(await engineOf(fresh)).toBe(await engineOf(contrib));
    expect(await engineOf(fresh)).toMatch(
      /^AggregatingMergeTree PARTITION BY toStartOfWeek\(Start\)/,
    );
    const fx = buildFixture();
    await write(fresh, fx.spans);
    await client.command({ query: `OPTIMIZE TABLE ${fresh}.otel_traces_trace_id_ts FINAL` });
    const traces = new Set(fx.spans.map((s) => s.TraceId));
    expect(
      await rows(
        client,
        `SELECT count() AS n, uniqExact(TraceId) AS t FROM ${fresh}.otel_traces_trace_id_ts`,
      ),
    ).toEqual([{ n: traces.size, t: traces.size }]);
  });

  it('converts the MergeTree lookup an earlier agenttrace created, keeping its rows and its feed', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    const fx = buildFixture();
    await write(db, fx.spans);
    // What the earlier 0002 created: the same table as a plain MergeTree, recorded with that file's checksum.
    const lookup = `${db}.otel_traces_trace_id_ts`;
    await client.command({
      query: `CREATE TABLE ${lookup}_old AS ${lookup} ENGINE = MergeTree PARTITION BY toStartOfWeek(Start) ORDER BY TraceId`,
    });
    await client.command({ query: `INSERT INTO ${lookup}_old SELECT * FROM ${lookup}` });
    await client.command({ query: `INSERT INTO ${lookup}_old SELECT * FROM ${lookup}` });
    await client.command({ query: `EXCHANGE TABLES ${lookup} AND ${lookup}_old` });
    await client.command({ query: `DROP TABLE ${lookup}_old` });
    await client.command({
      query: `ALTER TABLE ${db}.agenttrace_migrations UPDATE checksum = '8410860ffd257eaa2ee52748cff948fc033b8f447e7f342ac97e33c2192b1b8c' WHERE version = 2 SETTINGS mutations_sync = 2`,
    });
    expect(await engineOf(db)).toMatch(/^MergeTree/);

    const result = await migrate(client, { database: db });
    expect(result).toMatchObject({ applied: [], convertedTraceIdTs: true });
    expect(await engineOf(db)).toMatch(/^AggregatingMergeTree/);
    const traces = new Set(fx.spans.map((s) => s.TraceId));
    expect(
      await rows(client, `SELECT count() AS n, uniqExact(TraceId) AS t FROM ${lookup}`),
    ).toEqual([{ n: traces.size, t: traces.size }]);
    // The contrib materialized view now feeds the converted table.
    const more = buildFixture();
    await write(db, more.spans);
    expect(await rows(client, `SELECT uniqExact(TraceId) AS t FROM ${lookup}`)).toEqual([
      { t: traces.size + new Set(more.spans.map((s) => s.TraceId)).size },
    ]);
    expect((await migrate(client, { database: db })).convertedTraceIdTs).toBe(false);
  });
});
