/**
 * Opens the store a command reads or writes: the embedded engine by default,
 * a server with --url. Turns connection failures into errors that say what
 * to do.
 */
import { createStore, DEFAULT_EMBEDDED_PATH, type Store } from '@agenttrace/clickhouse-exporter';
import { CliError, type GlobalOptions } from './io.js';

/** A human description of the store, for messages. */
export function describeStore(g: GlobalOptions): string {
  return g.url
    ? `ClickHouse at ${g.url}`
    : `the embedded store at ${g.path ?? DEFAULT_EMBEDDED_PATH}`;
}

/** Opens the store and checks it answers; `fn` runs with it and the store is closed after. */
export async function withStore<T>(g: GlobalOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  try {
    store = createStore(
      g.url
        ? { url: g.url, username: g.user, password: g.password, database: g.database }
        : { path: g.path ?? DEFAULT_EMBEDDED_PATH, database: g.database },
    );
  } catch (err) {
    throw new CliError(
      `cannot open ${describeStore(g)}: ${(err as Error).message}`,
      'check --path / --url',
      1,
      {
        cause: err,
      },
    );
  }
  try {
    const ping = await store.client.ping();
    if (!ping.success)
      throw new CliError(
        `cannot reach ${describeStore(g)}: ${ping.error.message}`,
        'is the server running? check --url or AGENTTRACE_CLICKHOUSE_URL, --user and --password',
      );
    return await fn(store);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const message = (err as Error).message ?? String(err);
    if (/UNKNOWN_TABLE|Unknown table|doesn't exist/i.test(message))
      throw new CliError(
        `${describeStore(g)} has no agenttrace tables yet`,
        'run `agenttrace migrate`, or `agenttrace demo` to fill it with example runs',
      );
    throw err;
  } finally {
    await store.close();
  }
}
