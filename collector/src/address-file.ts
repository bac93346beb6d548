/**
 * The collector's address file: a running collector service on the embedded
 * store writes where it listens and its pid into the store directory, so the
 * CLI (which cannot open a store the collector holds) reads through that
 * collector and sends its token only there, never to whatever answers on a
 * well-known port.
 *
 * Format (version 1), `<store>/collector.json`, mode 0600:
 * `{ "version": 1, "pid": 1234, "url": "http://127.0.0.1:4318", "startedAt": "2026-…Z" }`.
 * Written atomically (temp file + rename), removed on close; a file whose pid
 * is not alive is stale.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DEFAULT_EMBEDDED_PATH, type StoreOptions } from '@agenttrace/clickhouse-exporter';
import { z } from 'zod';
import type { CollectorLogger } from './logger.js';

/** File name of the address file inside the embedded store directory. */
export const COLLECTOR_ADDRESS_FILE = 'collector.json';

/** What the address file holds. */
export interface CollectorAddress {
  /** Format version, 1. */
  readonly version: 1;
  /** The collector's process id. */
  readonly pid: number;
  /** Base URL of its HTTP API, such as `http://127.0.0.1:4318`. */
  readonly url: string;
  /** When it started listening, ISO 8601. */
  readonly startedAt: string;
}

const addressSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  url: z.url({ protocol: /^https?$/ }),
  startedAt: z.string(),
});

/** The base URL of a listening server; a wildcard bind is reached on loopback. */
export function urlOf(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Writes the address file of this process into `storeDir` (temp file, then
 * rename, so a reader never sees half a file). Returns a function that
 * removes it, only if it is still this process's file.
 */
export function writeAddressFile(storeDir: string, address: AddressInfo): () => void {
  const path = join(storeDir, COLLECTOR_ADDRESS_FILE);
  const content: CollectorAddress = {
    version: 1,
    pid: process.pid,
    url: urlOf(address),
    startedAt: new Date().toISOString(),
  };
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(content)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return () => {
    if (readAddressFile(storeDir)?.pid === process.pid) rmSync(path, { force: true });
  };
}

/**
 * The address file in `storeDir`, or undefined when there is none or it is
 * not a valid version-1 file. Says nothing about whether its pid is alive:
 * see {@link isProcessAlive}.
 */
export function readAddressFile(storeDir: string): CollectorAddress | undefined {
  let text: string;
  try {
    text = readFileSync(join(storeDir, COLLECTOR_ADDRESS_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = addressSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs (signal 0; EPERM means it runs as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Publishes the address of a collector on the embedded store described by
 * `store` (nothing for a ClickHouse server, which the CLI reaches itself).
 * Never throws: a file that cannot be written is logged, and the CLI then
 * says it found no collector. Returns the function that removes the file.
 */
export function publishAddress(
  store: StoreOptions | undefined,
  address: AddressInfo,
  logger?: CollectorLogger,
): () => void {
  if (store?.url !== undefined) return () => undefined;
  const dir = resolve(store?.path ?? DEFAULT_EMBEDDED_PATH);
  try {
    const remove = writeAddressFile(dir, address);
    return () => {
      try {
        remove();
      } catch {
        // Gone already, or the directory went away: nothing to remove.
      }
    };
  } catch (err) {
    logger?.warn('cannot write the collector address file', {
      path: join(dir, COLLECTOR_ADDRESS_FILE),
      error: (err as NodeJS.ErrnoException).code ?? (err as Error).name,
    });
    return () => undefined;
  }
}
