/**
 * Process-wide registry of the embedded chDB connection. chDB binds one data
 * directory per process: the same directory asked for twice shares one
 * client (reference-counted); a different one is refused with an
 * {@link EmbeddedStoreConflictError} before chDB can fail less clearly.
 *
 * chDB is an optional peer dependency (about 540 MB): it is loaded here, the
 * first time an embedded store is opened, so a server-only install never
 * needs it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { createChdbConnection } from 'chdb/connection';
import { EmbeddedStoreConflictError, EmbeddedStoreLockedError } from './errors.js';
import { DiagClickHouseLogger } from './store-log.js';

interface OpenEmbedded {
  readonly path: string;
  readonly client: ClickHouseClient;
  /** A second chDB session on the same directory, for reads; opened on first use. */
  readClient: ClickHouseClient | undefined;
  readonly connect: typeof createChdbConnection;
  refs: number;
}

let open: OpenEmbedded | undefined;

/** Stable code of {@link EmbeddedEngineMissingError}. */
export const EMBEDDED_ENGINE_MISSING = 'EMBEDDED_ENGINE_MISSING';

/**
 * The embedded store was chosen (no `url`) but chDB, an optional peer
 * dependency, is not installed or does not load on this platform.
 */
export class EmbeddedEngineMissingError extends Error {
  override readonly name = 'EmbeddedEngineMissingError';
  /** Stable machine-readable code. */
  readonly code = EMBEDDED_ENGINE_MISSING;

  constructor(cause: unknown) {
    super(
      `the embedded store needs chDB, an optional peer dependency of ` +
        `@agenttrace/clickhouse-exporter: run \`npm install chdb\` (Linux glibc or macOS), ` +
        `or pass 'url' to write to a ClickHouse server instead ` +
        `(${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`,
      { cause },
    );
  }
}

interface ChdbConnectionModule {
  createChdbConnection: typeof createChdbConnection;
}

let chdb: ChdbConnectionModule | undefined;

/** chDB's connection module, required on first use. */
function loadChdb(): typeof createChdbConnection {
  try {
    chdb ??= createRequire(import.meta.url)('chdb/connection') as ChdbConnectionModule;
  } catch (error) {
    throw new EmbeddedEngineMissingError(error);
  }
  return chdb.createChdbConnection;
}

/** A counted reference to the embedded client; `release` once. */
export interface EmbeddedLease {
  readonly path: string;
  readonly client: ClickHouseClient;
  /** A client on a session of its own for reads (shared by every lease). */
  readClient(): ClickHouseClient;
  release(): Promise<void>;
}

/**
 * Opens (or shares) the embedded engine at `path`.
 *
 * @throws {EmbeddedEngineMissingError} when chDB is not installed.
 */
export function acquireEmbedded(path: string): EmbeddedLease {
  const absolute = resolve(path);
  if (open !== undefined && open.path !== absolute) {
    throw new EmbeddedStoreConflictError(absolute, open.path);
  }
  if (open === undefined) {
    const connect = loadChdb();
    mkdirSync(absolute, { recursive: true });
    let connection: ReturnType<typeof createChdbConnection>;
    try {
      connection = connect({ path: absolute });
    } catch (error) {
      // chDB's lock on the directory: another live process has it open
      const holder = lockHolder(absolute);
      if (holder !== undefined) throw new EmbeddedStoreLockedError(absolute, holder, error);
      // Someone else in the process (not this registry) holds a directory.
      throw new EmbeddedStoreConflictError(absolute, undefined, error);
    }
    // The cast bridges two copies of @clickhouse/client-common's types.
    const client = createClient({
      connection: connection as never,
      log: { LoggerClass: DiagClickHouseLogger },
    });
    open = { path: absolute, client, readClient: undefined, connect, refs: 0 };
  }
  const entry = open;
  entry.refs += 1;
  let released = false;
  return {
    path: entry.path,
    client: entry.client,
    readClient() {
      // chDB runs one statement at a time per session: reads on their own
      // session cannot hold up the exporter's inserts on the main one.
      entry.readClient ??= createClient({
        connection: entry.connect({ path: entry.path }) as never,
        log: { LoggerClass: DiagClickHouseLogger },
      });
      return entry.readClient;
    },
    async release() {
      if (released) return;
      released = true;
      entry.refs -= 1;
      if (entry.refs > 0) return;
      if (open === entry) open = undefined;
      await entry.readClient?.close();
      await entry.client.close();
    },
  };
}

/**
 * The pid of another live process holding the engine lock on `dir`, read
 * from the `status` file ClickHouse keeps there, if any. chDB reports a
 * locked directory only as a failed connection, so this tells the cases apart.
 */
function lockHolder(dir: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(join(dir, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(status)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but not ours to signal
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** The embedded directory currently open through this registry, if any. */
export function openEmbeddedPath(): string | undefined {
  return open?.path;
}
