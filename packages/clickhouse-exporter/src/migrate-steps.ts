/**
 * Runs one migration's statements so that a run stopped half-way (a failing
 * statement, a lost connection, a killed process) is resumed by the next run
 * instead of repeated: each statement done is recorded in
 * `agenttrace_migration_steps` under the migration's checksum and skipped
 * next time. DDL is idempotent anyway (`IF NOT EXISTS`, `OR REPLACE`); the
 * backfills (`INSERT … SELECT` into rollups that sum) are not, so on a single
 * node each one fills a staging copy of its target first and moves the
 * staging partitions into the target (`MOVE PARTITION` is atomic per
 * partition): a backfill that fails leaves its target untouched, one that
 * filled its staging copy resumes at the move.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { MigrationError } from './migration-error.js';
import { quoteIdent, quoteString } from './schema-template.js';

/** Name of the per-statement progress table. */
export const STEPS_TABLE = 'agenttrace_migration_steps';

/** Suffix of the staging copy a backfill fills before moving it into its target. */
const STAGING_SUFFIX = '__agenttrace_backfill';
const BACKFILL =
  /^INSERT INTO `([A-Za-z0-9_]+)`\.`([A-Za-z0-9_]+)`(\s*\([^)]*\))?\s+(SELECT|WITH)\b/;

/** Where and how the statements run. */
export interface StepRunner {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly cluster: string | undefined;
}

/** A migration as the runner needs it. */
export interface StepMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

type Phase = 'filled' | 'done';

function stepsTable(r: StepRunner): string {
  return `${quoteIdent(r.database)}.${quoteIdent(STEPS_TABLE)}`;
}

/** Creates the progress table (idempotent). */
export async function createStepsTable(r: StepRunner): Promise<void> {
  const onCluster = r.cluster === undefined ? '' : ` ON CLUSTER ${quoteIdent(r.cluster)}`;
  // Per shard, as agenttrace_migrations: each shard's backfills are its own.
  const engine =
    r.cluster === undefined
      ? 'MergeTree'
      : `ReplicatedMergeTree('/clickhouse/tables/{shard}/${r.database}/${STEPS_TABLE}', '{replica}')`;
  await r.client.command({
    query:
      `CREATE TABLE IF NOT EXISTS ${stepsTable(r)}${onCluster} (version UInt32, checksum String, ` +
      `step UInt32, phase LowCardinality(String), applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ` +
      `ENGINE = ${engine} ORDER BY (version, checksum, step)`,
  });
}

async function progress(r: StepRunner, m: StepMigration): Promise<Map<number, Phase>> {
  const rows = await (
    await r.client.query({
      query: `SELECT step, phase FROM ${stepsTable(r)} WHERE version = {v:UInt32} AND checksum = {c:String}`,
      query_params: { v: m.version, c: m.checksum },
      format: 'JSONEachRow',
    })
  ).json<{ step: number; phase: Phase }>();
  const out = new Map<number, Phase>();
  for (const row of rows)
    if (out.get(Number(row.step)) !== 'done') out.set(Number(row.step), row.phase);
  return out;
}

async function record(r: StepRunner, m: StepMigration, step: number, phase: Phase): Promise<void> {
  await r.client.insert({
    table: stepsTable(r),
    values: [{ version: m.version, checksum: m.checksum, step, phase }],
    format: 'JSONEachRow',
  });
}

async function command(r: StepRunner, query: string): Promise<void> {
  // No clickhouse_settings: chDB applies them to the whole session.
  await r.client.command({ query });
}

/** Fills a staging copy of the backfill's target, then moves its partitions into the target. */
async function backfill(
  r: StepRunner,
  m: StepMigration,
  step: number,
  match: RegExpExecArray,
  query: string,
  filled: boolean,
): Promise<void> {
  const [, db = '', table = ''] = match;
  const target = `${quoteIdent(db)}.${quoteIdent(table)}`;
  const stagingName = table + STAGING_SUFFIX;
  const staging = `${quoteIdent(db)}.${quoteIdent(stagingName)}`;
  if (!filled) {
    await command(r, `CREATE TABLE IF NOT EXISTS ${staging} AS ${target}`);
    await command(r, `TRUNCATE TABLE ${staging}`);
    await command(r, `INSERT INTO ${staging}${query.slice(`INSERT INTO ${target}`.length)}`);
    await record(r, m, step, 'filled');
  }
  const parts = await (
    await r.client.query({
      query:
        'SELECT DISTINCT partition_id FROM system.parts ' +
        'WHERE database = {db:String} AND table = {t:String} AND active',
      query_params: { db, t: stagingName },
      format: 'JSONEachRow',
    })
  ).json<{ partition_id: string }>();
  for (const { partition_id } of parts) {
    await command(
      r,
      `ALTER TABLE ${staging} MOVE PARTITION ID ${quoteString(partition_id)} TO TABLE ${target}`,
    );
  }
  await record(r, m, step, 'done');
  await command(r, `DROP TABLE IF EXISTS ${staging}`);
}

/**
 * Runs the statements of `m` not yet recorded as done; throws
 * `MIGRATION_FAILED` naming the migration and the statement that failed.
 */
export async function runSteps(r: StepRunner, m: StepMigration): Promise<void> {
  const done = await progress(r, m);
  for (const [step, query] of m.statements.entries()) {
    const phase = done.get(step);
    if (phase === 'done') continue;
    try {
      const match = r.cluster === undefined ? BACKFILL.exec(query) : null;
      if (match) {
        await backfill(r, m, step, match, query, phase === 'filled');
      } else {
        await command(r, query);
        await record(r, m, step, 'done');
      }
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new MigrationError(
        'MIGRATION_FAILED',
        `migration ${m.version} (${m.name}) failed at statement ${step + 1} of ${m.statements.length}: ` +
          `${reason}; the statements before it are recorded, and running migrate again resumes there`,
        { cause },
      );
    }
  }
}
