/**
 * Child process for `exporter-crash.test.ts`: an application exporting spans
 * through `ClickHouseSpanExporter` into an embedded store as fast as the
 * exporter takes them, four calls in flight. Each span id whose call was
 * called back SUCCESS is written to stdout (`ACK <id> <id> …`), so the
 * parent knows exactly what was acknowledged when it kills this process.
 *
 * Env: STORE_PATH (the chDB directory), SPOOL (`on`/`off`), FINAL (`1`:
 * only open the exporter, which replays its spool, flush, and exit 0).
 */
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { ClickHouseSpanExporter } from '../../src/exporter.js';
import { migrate } from '../../src/migrate.js';
import { createStore } from '../../src/store.js';
import { exportSpans, makeSpans } from './spans.js';

const IN_FLIGHT = 4;
const SPANS_PER_CALL = 50;
/** Bound on the calls one worker makes (the parent kills the process long before). */
const MAX_CALLS = 10_000;

async function main(): Promise<void> {
  const path = process.env.STORE_PATH;
  if (!path) throw new Error('STORE_PATH is required');
  const store = createStore({ path });
  await migrate(store.client);
  const exporter = new ClickHouseSpanExporter({
    store,
    flushIntervalMs: 20,
    maxBatchSize: 500,
    ...(process.env.SPOOL === 'on' ? { spoolDir: join(path, 'exporter-spool') } : {}),
  });
  if (process.env.FINAL === '1') {
    await exporter.shutdown();
    await store.close();
    process.stdout.write('DONE\n', () => process.exit(0));
    return;
  }
  process.stdout.write('READY\n');
  const worker = async () => {
    for (let i = 0; i < MAX_CALLS; i++) {
      const spans = await makeSpans(SPANS_PER_CALL, { 'agenttrace.step.attempt': 1 });
      const result = await exportSpans(exporter, spans);
      if (result.code === ExportResultCode.SUCCESS)
        process.stdout.write(`ACK ${spans.map((s) => s.spanContext().spanId).join(' ')}\n`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
