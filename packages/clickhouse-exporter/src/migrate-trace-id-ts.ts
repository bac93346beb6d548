/**
 * Converts a trace-id lookup table (`<traces>_trace_id_ts`) that an earlier
 * agenttrace created as a plain `MergeTree` into the `AggregatingMergeTree`
 * the contrib clickhouseexporter defines, so each trace's rows merge into one.
 * ClickHouse cannot change a table's engine in place: the rows are folded into
 * a new table, which then takes the old one's name in one `EXCHANGE TABLES`,
 * so a run stopped at any point leaves either the old table or the converted
 * one, and the next run starts again or finds nothing to do.
 */
import { quoteIdent } from './schema-template.js';
import type { StepRunner } from './migrate-steps.js';

const SUFFIX = '__agenttrace_aggregating';

/**
 * Converts `table` when `engine` is `MergeTree`; drops a conversion's leftover
 * otherwise. Single node only (on a cluster the Replicated tables keep their
 * engine; see docs/schema.md). Returns whether it converted.
 */
export async function convertTraceIdTs(
  r: StepRunner,
  table: string,
  engine: string | undefined,
  ttlDays: number,
): Promise<boolean> {
  const db = quoteIdent(r.database);
  const current = `${db}.${quoteIdent(table)}`;
  const next = `${db}.${quoteIdent(table + SUFFIX)}`;
  const run = (query: string) => r.client.command({ query });
  if (engine !== 'MergeTree' || r.cluster !== undefined) {
    if (r.cluster === undefined) await run(`DROP TABLE IF EXISTS ${next}`);
    return false;
  }
  const ttl = ttlDays > 0 ? `TTL toDateTime(Start) + toIntervalDay(${ttlDays}) ` : '';
  await run(
    `CREATE TABLE IF NOT EXISTS ${next} AS ${current} ENGINE = AggregatingMergeTree() ` +
      `PARTITION BY toStartOfWeek(Start) ORDER BY (TraceId) ${ttl}` +
      `SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
  );
  await run(`TRUNCATE TABLE ${next}`);
  await run(
    `INSERT INTO ${next} (TraceId, Start, End) ` +
      `SELECT TraceId, min(Start), max(End) FROM ${current} GROUP BY TraceId`,
  );
  await run(`EXCHANGE TABLES ${current} AND ${next}`);
  await run(`DROP TABLE IF EXISTS ${next}`);
  return true;
}
