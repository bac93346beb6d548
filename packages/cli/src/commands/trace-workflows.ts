/**
 * The workflow each trace of `agenttrace trace` ran in, from the
 * `agent_workflows` view (migration 0021), read through the reader's
 * read-only SQL so it works against the store and through a collector alike.
 */
import type { RunRow } from '@agenttrace/query';
import type { Reader } from '../reader.js';

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * The outermost workflow name by lower-case trace id. Trace ids are checked
 * to be 32 hex digits before they are written into the query. A store or
 * collector without the view (older than 0021) gives an empty map.
 */
export async function traceWorkflows(
  reader: Reader,
  runs: readonly RunRow[],
): Promise<Map<string, string>> {
  const ids = [...new Set(runs.map((r) => r.trace_id.toLowerCase()))].filter((t) =>
    TRACE_ID.test(t),
  );
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  let rows: Record<string, unknown>[];
  try {
    ({ rows } = await reader.sql(
      `SELECT lower(trace_id) AS tid, argMin(workflow, (parent_span_id != '', started_at)) AS outermost
       FROM agent_workflows WHERE lower(trace_id) IN (${ids.map((t) => `'${t}'`).join(', ')})
         AND workflow != ''
       GROUP BY tid`,
    ));
  } catch {
    // no agent_workflows (a store or collector before 0021): the waterfall goes without the line
    return out;
  }
  for (const row of rows)
    if (typeof row.tid === 'string' && typeof row.outermost === 'string')
      out.set(row.tid, row.outermost);
  return out;
}
