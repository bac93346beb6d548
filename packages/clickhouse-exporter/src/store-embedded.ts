/**
 * Process-wide registry of the embedded chDB connection. chDB binds one data
 * directory per process: the same directory asked for twice shares one
 * client (reference-counted); a different one is refused with an
 * {@link EmbeddedStoreConflictError} before chDB can fail less clearly.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { EmbeddedStoreConflictError } from './errors.js';
import { DiagClickHouseLogger } from './store-log.js';

interface OpenEmbedded {
  readonly path: string;
  readonly client: ClickHouseClient;
  refs: number;
}

let open: OpenEmbedded | undefined;

/** A counted reference to the embedded client; `release` once. */
export interface EmbeddedLease {
  readonly path: string;
  readonly client: ClickHouseClient;
  release(): Promise<void>;
}

/** Opens (or shares) the embedded engine at `path`. */
export function acquireEmbedded(path: string): EmbeddedLease {
  const absolute = resolve(path);
  if (open !== undefined && open.path !== absolute) {
    throw new EmbeddedStoreConflictError(absolute, open.path);
  }
  if (open === undefined) {
    mkdirSync(absolute, { recursive: true });
    let connection: ReturnType<typeof createChdbConnection>;
    try {
      connection = createChdbConnection({ path: absolute });
    } catch (error) {
      // Someone else in the process (not this registry) holds a directory.
      throw new EmbeddedStoreConflictError(absolute, undefined, error);
    }
    // The cast bridges two copies of @clickhouse/client-common's types.
    const client = createClient({
      connection: connection as never,
      log: { LoggerClass: DiagClickHouseLogger },
    });
    open = { path: absolute, client, refs: 0 };
  }
  const entry = open;
  entry.refs += 1;
  let released = false;
  return {
    path: entry.path,
    client: entry.client,
    async release() {
      if (released) return;
      released = true;
      entry.refs -= 1;
      if (entry.refs > 0) return;
      if (open === entry) open = undefined;
      await entry.client.close();
    },
  };
}

/** The embedded directory currently open through this registry, if any. */
export function openEmbeddedPath(): string | undefined {
  return open?.path;
}
