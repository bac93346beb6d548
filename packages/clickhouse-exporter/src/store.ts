/**
 * One code path, two stores: a ClickHouse server over HTTP(S), or the
 * embedded chDB engine. Both are a `@clickhouse/client` client, so everything
 * above this file is the same for both.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { acquireEmbedded } from './store-embedded.js';
import { DiagClickHouseLogger } from './store-log.js';
import { resolveStoreOptions, type StoreOptions } from './store-options.js';

/** Which kind of store a {@link Store} talks to. */
export type StoreKind = 'embedded' | 'server';

/** An open store: a client plus how to let go of it. */
export interface Store {
  /** `@clickhouse/client` client for the server or the embedded engine. */
  readonly client: ClickHouseClient;
  /**
   * A client for reads that must not hold up writes: on the embedded engine
   * a second session on the same directory (chDB runs one statement at a
   * time per session), on a server the same client.
   */
  readClient(): ClickHouseClient;
  /** `'server'` when `url` was given, else `'embedded'`. */
  readonly kind: StoreKind;
  /** Database the exporter writes to. */
  readonly database: string;
  /** Releases this handle (the embedded engine closes with its last handle). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the store described by `options`.
 *
 * @throws {InvalidOptionsError} for invalid options.
 * @throws {EmbeddedStoreConflictError} when another embedded directory is open in this process.
 * @example
 * ```ts
 * const store = createStore({ url: 'http://localhost:8123', database: 'otel' });
 * await store.client.ping();
 * await store.close();
 * ```
 */
export function createStore(options: StoreOptions = {}): Store {
  const resolved = resolveStoreOptions(options);
  if (resolved.kind === 'embedded') {
    const lease = acquireEmbedded(resolved.path);
    return {
      client: lease.client,
      readClient: () => lease.readClient(),
      kind: 'embedded',
      database: resolved.database,
      close: () => lease.release(),
    };
  }
  const client = createClient({
    url: resolved.url,
    username: resolved.username,
    password: resolved.password,
    database: resolved.database,
    request_timeout: resolved.requestTimeoutMs,
    application: 'agenttrace',
    log: { LoggerClass: DiagClickHouseLogger },
  });
  let closing: Promise<void> | undefined;
  return {
    client,
    readClient: () => client,
    kind: 'server',
    database: resolved.database,
    close: () => (closing ??= client.close()),
  };
}
