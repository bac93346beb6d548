/** `agenttrace migrate`: applies the versioned SQL migrations. */
import { migrate } from '@agenttrace/clickhouse-exporter';
import { print, type GlobalOptions } from '../io.js';
import { describeStore, withStore } from '../store-access.js';

/** Runs the migrations and reports what was applied. */
export async function migrateCommand(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  await withStore(g, async (store) => {
    const result = await migrate(store.client, {
      database: store.database,
      cluster: o.cluster as string | undefined,
      ttlDays: o.ttlDays as number | undefined,
    });
    print(g, result, () =>
      result.applied.length === 0
        ? `${describeStore(g)} is up to date (${result.skipped} migrations already applied)`
        : `applied to ${describeStore(g)}:\n${result.applied.map((m) => `  ${m.version} ${m.name}`).join('\n')}`,
    );
  });
}
