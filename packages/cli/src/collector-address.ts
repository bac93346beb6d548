/**
 * Finds the collector that holds the embedded store, through the address
 * file it writes into the store directory (`collector.json`, written by
 * `@agenttrace/collector`'s `address-file.ts`). The CLI sends its token only
 * to the address in that file, and only while the pid in it is alive: never
 * to whatever answers on a well-known port.
 */
import { resolve } from 'node:path';

/** Where the collector of a store is, or why there is none. */
export type CollectorLookup =
  | { readonly found: true; readonly url: string; readonly pid: number }
  | { readonly found: false; readonly reason: string };

/**
 * Looks up the collector serving the embedded store at `storePath`. The
 * collector package is loaded only here, when the store is locked, so
 * commands that read the store directly do not pay for it.
 */
export async function findCollector(storePath: string): Promise<CollectorLookup> {
  const { readAddressFile, isProcessAlive, COLLECTOR_ADDRESS_FILE } =
    await import('@agenttrace/collector');
  const dir = resolve(storePath);
  const address = readAddressFile(dir);
  if (address === undefined)
    return {
      found: false,
      reason: `no valid collector address file (${COLLECTOR_ADDRESS_FILE}) in ${dir}`,
    };
  if (!isProcessAlive(address.pid))
    return {
      found: false,
      reason: `the collector address file in ${dir} is stale (pid ${address.pid} is not running)`,
    };
  return { found: true, url: address.url, pid: address.pid };
}
