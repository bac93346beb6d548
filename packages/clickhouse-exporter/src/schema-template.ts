/**
 * The small template language of the migration files in `src/schema/`.
 *
 * Migrations are plain ClickHouse SQL with a handful of `{{…}}` tokens, so the
 * same file serves a single server (chDB included) and a cluster:
 *
 * | token                          | single node                  | `cluster` set                                          |
 * | ------------------------------ | ---------------------------- | ------------------------------------------------------ |
 * | `{{table NAME}}`               | `` `db`.`NAME` ``            | same (the Distributed table readers query)             |
 * | `{{local NAME}}`               | `` `db`.`NAME` ``            | `` `db`.`NAME_local` `` (the table holding the data)   |
 * | `{{on_cluster}}`               | nothing                      | `` ON CLUSTER `c` ``                                   |
 * | `{{engine Kind(args)}}`        | `Kind(args)`                 | `ReplicatedKind('/clickhouse/tables/…', '{replica}', args)` |
 * | `{{ttl EXPR}}`                 | `TTL EXPR + toIntervalDay(n)` or nothing when `ttlDays` is 0  | same                |
 * | `{{distributed NAME KEY}}`     | nothing                      | `CREATE TABLE … ENGINE = Distributed(c, db, NAME_local, KEY)` |
 * | `{{database}}`                 | `` `db` ``                   | same                                                   |
 * | `{{fragment NAME}}`            | text of `schema/fragments/NAME.sql` (an expression shared by several views) | same |
 * | `{{global}}`                   | nothing                      | `GLOBAL` (before `IN`/`JOIN` over Distributed tables)  |
 * | `{{view_settings}}`            | `SETTINGS …` of `viewSettings`, or nothing | same, plus `distributed_product_mode = 'global'` |
 *
 * A NAME beginning with `otel_traces` is rewritten to begin with the
 * configured traces table name, so `{{table otel_traces_trace_id_ts}}` follows
 * `tracesTable`. A `{{table NAME}}` table (not `{{local}}`) is unsharded: on a
 * cluster its replicas share one path across shards (used for `model_prices`).
 *
 * Fragments are versioned by file name (`failure_code_v1`): a migration's
 * checksum covers its own text only, so changing a rule means a new fragment
 * file and a new migration that re-creates the views using it.
 */

/** Resolved settings a migration is rendered with. */
export interface TemplateContext {
  readonly database: string;
  readonly tracesTable: string;
  readonly cluster: string | undefined;
  readonly ttlDays: number;
  /** Returns the text of `src/schema/fragments/NAME.sql` for `{{fragment NAME}}`. */
  readonly fragment: (name: string) => string;
  /**
   * `name = value` settings every query view carries (`{{view_settings}}`),
   * e.g. the text-index planner workaround when the server knows it.
   */
  readonly viewSettings: readonly string[];
}

/**
 * Setting whose planner optimisation fails (`NOT_FOUND_COLUMN_IN_BLOCK`) when
 * the views read a spans table with `text` skip indexes (the contrib table on
 * ClickHouse ≥ 26.2); the views turn it off where the server has it.
 */
export const TEXT_INDEX_HINT_SETTING = 'query_plan_text_index_add_hint';

const TOKEN = /\{\{\s*(\w+)(?:\s+([^}]*?))?\s*\}\}/g;
const DEFAULT_TRACES_TABLE = 'otel_traces';

/** Quotes a ClickHouse identifier with backticks. */
export function quoteIdent(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/** Quotes a ClickHouse string literal. */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

function objectName(ctx: TemplateContext, name: string): string {
  return name.startsWith(DEFAULT_TRACES_TABLE)
    ? ctx.tracesTable + name.slice(DEFAULT_TRACES_TABLE.length)
    : name;
}

function localName(ctx: TemplateContext, name: string): string {
  const base = objectName(ctx, name);
  return ctx.cluster === undefined ? base : `${base}_local`;
}

interface TableRef {
  name: string;
  sharded: boolean;
}

function engine(ctx: TemplateContext, spec: string, table: TableRef): string {
  if (ctx.cluster === undefined) return spec;
  const match = /^(\w+)(?:\((.*)\))?$/s.exec(spec.trim());
  if (!match) throw new Error(`bad engine spec in migration: ${spec}`);
  const kind = match[1] ?? '';
  const args = match[2]?.trim() ?? '';
  const shard = table.sharded ? '{shard}' : 'all';
  const path = quoteString(`/clickhouse/tables/${shard}/${ctx.database}/${table.name}`);
  const replicated = [path, quoteString('{replica}'), ...(args === '' ? [] : [args])];
  return `Replicated${kind}(${replicated.join(', ')})`;
}

function distributed(ctx: TemplateContext, arg: string): string {
  if (ctx.cluster === undefined) return '';
  const [name = '', ...key] = arg.split(/\s+/);
  const db = quoteIdent(ctx.database);
  const target = quoteIdent(objectName(ctx, name));
  const local = localName(ctx, name);
  return (
    `CREATE TABLE IF NOT EXISTS ${db}.${target} ON CLUSTER ${quoteIdent(ctx.cluster)} ` +
    `AS ${db}.${quoteIdent(local)} ENGINE = Distributed(${quoteString(ctx.cluster)}, ` +
    `${quoteString(ctx.database)}, ${quoteString(local)}, ${key.join(' ') || 'rand()'})`
  );
}

function viewSettings(ctx: TemplateContext): string {
  // On a cluster every IN/JOIN over a Distributed table is made GLOBAL too, so
  // one the SQL does not mark is still right across shards.
  const all =
    ctx.cluster === undefined
      ? ctx.viewSettings
      : [...ctx.viewSettings, "distributed_product_mode = 'global'"];
  return all.length === 0 ? '' : `SETTINGS ${all.join(', ')}`;
}

/**
 * Renders one migration file's text. Unknown tokens throw, so a typo in a
 * migration fails the first test run rather than reaching a server.
 *
 * @example
 * renderTemplate('CREATE TABLE {{local t}} {{on_cluster}} (x UInt8) ENGINE = {{engine MergeTree}} ORDER BY x', ctx)
 */
export function renderTemplate(text: string, ctx: TemplateContext): string {
  // The table whose engine is being rendered names its replication path.
  let lastTable: TableRef = { name: '', sharded: true };
  return text.replace(TOKEN, (_whole, name: string, rawArg: string | undefined) => {
    const arg = (rawArg ?? '').trim();
    switch (name) {
      case 'database':
        return quoteIdent(ctx.database);
      case 'table':
        lastTable = { name: objectName(ctx, arg), sharded: false };
        return `${quoteIdent(ctx.database)}.${quoteIdent(lastTable.name)}`;
      case 'local':
        lastTable = { name: localName(ctx, arg), sharded: true };
        return `${quoteIdent(ctx.database)}.${quoteIdent(lastTable.name)}`;
      case 'on_cluster':
        return ctx.cluster === undefined ? '' : `ON CLUSTER ${quoteIdent(ctx.cluster)}`;
      case 'engine':
        return engine(ctx, arg, lastTable);
      case 'ttl':
        return ctx.ttlDays > 0 ? `TTL ${arg} + toIntervalDay(${ctx.ttlDays})` : '';
      case 'distributed':
        return distributed(ctx, arg);
      case 'fragment':
        return renderTemplate(ctx.fragment(arg).trim(), ctx);
      case 'global':
        return ctx.cluster === undefined ? '' : 'GLOBAL';
      case 'view_settings':
        return viewSettings(ctx);
      default:
        throw new Error(`unknown template token {{${name}}} in migration`);
    }
  });
}

/**
 * Splits rendered SQL into statements on `;` at the end of a line, outside
 * quotes and comments. Empty statements (a `{{distributed}}` on a single
 * node) are dropped.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] ?? '';
    if (quote !== null) {
      current += ch;
      if (ch === '\\') {
        current += sql[++i] ?? '';
      } else if (ch === quote) {
        quote = null;
      }
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end - 1;
      continue;
    }
    if (ch === "'" || ch === '`' || ch === '"') quote = ch;
    if (ch === ';') {
      out.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}
