/**
 * Packaging check helper: a ClickHouse HTTP endpoint for the server-only
 * install, served from chDB in this repository (the exporter tests' bridge).
 * Prints its URL, then serves until SIGTERM.
 */
import { createStore } from '@agenttrace/clickhouse-exporter';
import { startChdbHttpBridge } from '../../packages/clickhouse-exporter/test/support/chdb-http-bridge.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: serve-bridge.ts <store-dir>');
const store = createStore({ path });
const bridge = await startChdbHttpBridge(store.client);
process.stdout.write(`${bridge.url}\n`);
process.once('SIGTERM', () => {
  void bridge.close().then(() => store.close());
});
