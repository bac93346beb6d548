/** `agenttrace sql "<query>"`: read-only SQL; the engine refuses writes. */
import { table } from '../format/table.js';
import { print, type GlobalOptions } from '../io.js';
import { withReader } from '../reader.js';

/** Runs one read-only query and prints its rows. */
export async function sqlCommand(g: GlobalOptions, query: string): Promise<void> {
  const rows = await withReader(g, (r) => r.sql(query));
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
    return `${table(rows, columns)}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  });
}
