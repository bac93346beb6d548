/**
 * Migration runner: applies the versioned SQL files in `src/schema/` in order
 * and records each in `agenttrace_migrations`, so running it again changes
 * nothing and an edited, already-applied file is refused. Before changing
 * anything it reads which spans table is there (`migrate-variant.ts`) and
 * stops on one the views cannot read; statements run resumably
 * (`migrate-steps.ts`).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { MigrationError } from './migration-error.js';
import { createStepsTable, runSteps } from './migrate-steps.js';
import type { StepRunner } from './migrate-steps.js';
import { convertTraceIdTs } from './migrate-trace-id-ts.js';
import { inspectStore } from './migrate-variant.js';
import type { TracesTableVariant } from './migrate-variant.js';
import {
  TEXT_INDEX_HINT_SETTING,
  quoteIdent,
  renderTemplate,
  splitStatements,
} from './schema-template.js';
import type { TemplateContext } from './schema-template.js';

export type { TracesTableVariant } from './migrate-variant.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Database the tables and views are created in (created if missing). @default 'default' */
  database?: string;
  /** Cluster name: emits ON CLUSTER, Replicated* engines and Distributed tables. @default undefined (single node) */
  cluster?: string;
  /** Days spans and their lookups are kept; 0 keeps them forever. @default 0 */
  ttlDays?: number;
  /** Name of the spans table. @default 'otel_traces' */
  tracesTable?: string;
}

/** One migration as read from disk and rendered for the given options. */
export interface PlannedMigration {
  readonly version: number;
  readonly name: string;
  /** sha256 of the file text before rendering, so options do not change it. */
  readonly checksum: string;
  readonly statements: readonly string[];
}

/** What {@link migrate} did. */
export interface MigrateResult {
  readonly database: string;
  /** The spans table found before this run (`none`: created). */
  readonly tracesTableFound: TracesTableVariant;
  /** Whether an earlier agenttrace's MergeTree trace-id lookup was converted to AggregatingMergeTree. */
  readonly convertedTraceIdTs: boolean;
  /** Migrations applied by this call, in order. */
  readonly applied: readonly { version: number; name: string }[];
  /** How many were already applied and skipped. */
  readonly skipped: number;
}

/** Views the migrations create, i.e. the query surface of the store. */
export const VIEW_NAMES = [
  'agent_runs',
  'agent_steps',
  'agent_failures',
  'agent_feedback',
  'agent_run_index',
  'agent_stats',
  'agent_stats_hourly',
  'agent_trace_runs',
  'agent_signals',
  'agent_signals_window',
  'agent_regressions',
  'agent_session_index',
  'agent_sessions',
  'agent_handoffs',
  'agent_workflows',
] as const;

/** Name of the bookkeeping table. */
export const MIGRATIONS_TABLE = 'agenttrace_migrations';

/**
 * Checksums an applied migration may have besides its file's current one:
 * versions of a file that were corrected in place because what they created
 * is converted by the runner itself. 2: the trace-id lookup was a MergeTree
 * (converted by `convertTraceIdTs`).
 */
const SUPERSEDED_CHECKSUMS: Readonly<Record<number, readonly string[]>> = {
  2: ['8410860ffd257eaa2ee52748cff948fc033b8f447e7f342ac97e33c2192b1b8c'],
};

const SCHEMA_DIR = fileURLToPath(new URL('./schema/', import.meta.url));
const FRAGMENT_NAME = /^[a-z0-9_]+$/;
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const identifier = (field: string) =>
  z.string().check((ctx) => {
    if (!IDENT.test(ctx.value)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `${field} must be an identifier of letters, digits and _ (got ${JSON.stringify(ctx.value)})`,
      });
    }
  });

const optionsSchema = z.object({
  database: identifier('database').default('default'),
  cluster: identifier('cluster').optional(),
  tracesTable: identifier('tracesTable').default('otel_traces'),
  ttlDays: z
    .number()
    .default(0)
    .check((ctx) => {
      if (!Number.isSafeInteger(ctx.value) || ctx.value < 0) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `ttlDays must be a non-negative integer (got ${String(ctx.value)})`,
        });
      }
    }),
});

function readFragment(name: string): string {
  if (!FRAGMENT_NAME.test(name)) throw new Error(`bad fragment name in migration: ${name}`);
  return readFileSync(`${SCHEMA_DIR}fragments/${name}.sql`, 'utf8');
}

/** Validates options into the resolved template context; throws a {@link MigrationError}. */
export function resolveMigrateOptions(options: MigrateOptions = {}): TemplateContext {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? 'options';
    const message =
      issue?.code === 'custom'
        ? issue.message
        : `${field} is invalid: ${issue?.message ?? 'unknown'} (got ${JSON.stringify((options as Record<string, unknown>)[field])})`;
    throw new MigrationError('INVALID_OPTIONS', message);
  }
  const { database, cluster, tracesTable, ttlDays } = parsed.data;
  return {
    database,
    cluster,
    tracesTable,
    ttlDays,
    fragment: readFragment,
    viewSettings: [`${TEXT_INDEX_HINT_SETTING} = 0`],
  };
}

/**
 * Reads and renders every migration for the given options without touching a
 * server, e.g. to review the ON CLUSTER SQL before running it. Rendered for a
 * current server (views carry the text-index planner setting); `migrate`
 * leaves it out on a server that does not have it.
 */
export function planMigrations(options: MigrateOptions = {}): PlannedMigration[] {
  return plan(resolveMigrateOptions(options));
}

function plan(ctx: TemplateContext): PlannedMigration[] {
  return readdirSync(SCHEMA_DIR)
    .flatMap((file) => {
      const match = FILE_NAME.exec(file);
      return match ? [{ file, version: Number(match[1]), name: match[2] ?? '' }] : [];
    })
    .sort((a, b) => a.version - b.version)
    .map(({ file, version, name }) => {
      const text = readFileSync(SCHEMA_DIR + file, 'utf8');
      return {
        version,
        name,
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(renderTemplate(text, ctx)),
      };
    });
}

/**
 * Creates or upgrades the agenttrace schema: the collector-compatible spans
 * table, its trace-id lookup, the price table, the query views and the stats
 * rollups. Idempotent; each file runs once and is recorded with its checksum.
 *
 * @example
 * await migrate(client, { database: 'observability', ttlDays: 30 });
 */
export async function migrate(
  client: ClickHouseClient,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const resolved = resolveMigrateOptions(options);
  const local = (name: string) => (resolved.cluster === undefined ? name : `${name}_local`);
  const lookup = local(`${resolved.tracesTable}_trace_id_ts`);
  // Read-only: throws UNSUPPORTED_TRACES_TABLE before anything is created.
  const found = await inspectStore(
    client,
    resolved.database,
    local(resolved.tracesTable),
    lookup,
    resolved.cluster,
  );
  const ctx: TemplateContext = found.hasTextIndexHintSetting
    ? resolved
    : { ...resolved, viewSettings: [] };
  const migrations = plan(ctx);
  const db = quoteIdent(ctx.database);
  const onCluster = ctx.cluster === undefined ? '' : ` ON CLUSTER ${quoteIdent(ctx.cluster)}`;
  const engine =
    ctx.cluster === undefined
      ? 'MergeTree'
      : `ReplicatedMergeTree('/clickhouse/tables/{shard}/${ctx.database}/${MIGRATIONS_TABLE}', '{replica}')`;
  const table = `${db}.${quoteIdent(MIGRATIONS_TABLE)}`;
  const runner: StepRunner = { client, database: ctx.database, cluster: ctx.cluster };
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}` });
  await client.command({
    query:
      `CREATE TABLE IF NOT EXISTS ${table}${onCluster} (version UInt32, name String, ` +
      `checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ` +
      `ENGINE = ${engine} ORDER BY version`,
  });
  await createStepsTable(runner);
  const done = await (
    await client.query({
      query: `SELECT version, name, checksum FROM ${table}`,
      format: 'JSONEachRow',
    })
  ).json<{ version: number; name: string; checksum: string }>();
  const byVersion = new Map(done.map((row) => [Number(row.version), row]));

  const applied: { version: number; name: string }[] = [];
  for (const migration of migrations) {
    const previous = byVersion.get(migration.version);
    if (previous !== undefined) {
      const accepted = [migration.checksum, ...(SUPERSEDED_CHECKSUMS[migration.version] ?? [])];
      if (!accepted.includes(previous.checksum)) {
        throw new MigrationError(
          'CHECKSUM_MISMATCH',
          `migration ${migration.version} (${migration.name}) was applied with checksum ` +
            `${previous.checksum} but the file now has ${migration.checksum}; ` +
            `add a new migration instead of editing an applied one`,
        );
      }
      continue;
    }
    await runSteps(runner, migration);
    await client.insert({
      table,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    });
    applied.push({ version: migration.version, name: migration.name });
  }
  const convertedTraceIdTs = await convertTraceIdTs(
    runner,
    lookup,
    found.traceIdTsAggregateColumns ? found.traceIdTsEngine : undefined,
    ctx.ttlDays,
  );
  return {
    database: ctx.database,
    tracesTableFound: found.tracesTable,
    convertedTraceIdTs,
    applied,
    skipped: migrations.length - applied.length,
  };
}
