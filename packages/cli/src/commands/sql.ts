/**
 * `agenttrace sql "<query>"`: one read-only SELECT through the sandbox of
 * `@agenttrace/query` (directly, or through the collector's `/v1/sql`).
 */
import { SqlSandboxError } from '@agenttrace/query';
import { table } from '../format/table.js';
import { CliError, print, type GlobalOptions } from '../io.js';
import { withReader } from '../reader.js';

/** Runs one read-only query and prints its rows; a refused query exits 2 with the reason. */
export async function sqlCommand(g: GlobalOptions, query: string): Promise<void> {
  let result;
  try {
    result = await withReader(g, (r) => r.sql(query));
  } catch (err) {
    if (err instanceof SqlSandboxError) throw new CliError(err.message, undefined, 2);
    throw err;
  }
  const { rows, truncated } = result;
  print(g, rows, () => {
    const first = rows[0];
    if (!first) return '(no rows)';
    const columns = Object.keys(first).map((key) => ({
      header: key,
      cell: (row: Record<string, unknown>) => {
        const v = row[key];
        return typeof v === 'string' ? v : JSON.stringify(v);
      },
    }));
    return `${table(rows, columns)}\n(${rows.length} row${rows.length === 1 ? '' : 's'}${truncated ? ', truncated' : ''})`;
  });
  if (truncated)
    g.io.err.write(
      `agenttrace: only the first ${rows.length} rows are shown; add a LIMIT or an aggregate\n`,
    );
}
