/** `agenttrace sql "<query>"`: read-only SQL; the engine refuses writes. */
import { readonlySql } from '@agenttrace/query';
import { table } from '../format/table.js';
import { print, type GlobalOptions } from '../io.js';
import { withStore } from '../store-access.js';

/** Runs one read-only query and prints its rows. */
export async function sqlCommand(g: GlobalOptions, query: string): Promise<void> {
  const rows = await withStore(g, (store) => readonlySql(store.client, query));
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
