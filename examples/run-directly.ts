/**
 * Lets each example run on its own (`npx tsx examples/multi-agent.ts`): traces
 * into the embedded store, like `agenttrace demo`, and prints what it did.
 */
import { fileURLToPath } from 'node:url';
import type { TracerProvider } from '@opentelemetry/api';
import { ClickHouseSpanExporter, createStore, migrate } from '@agenttrace/clickhouse-exporter';
import { createTracerProvider } from '@agenttrace/sdk';

/** Runs `example` when `moduleUrl` is the script node was started with. */
export function runDirectly(
  moduleUrl: string,
  example: (provider: TracerProvider) => Promise<unknown>,
): void {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  void (async () => {
    const store = createStore({ path: process.env.AGENTTRACE_STORE_PATH ?? './.agenttrace/store' });
    await migrate(store.client);
    const provider = createTracerProvider({
      exporter: new ClickHouseSpanExporter({ store }),
      serviceName: 'agenttrace-examples',
    });
    const result = await example(provider);
    await provider.shutdown();
    await store.close();
    process.stdout.write(`${JSON.stringify(result)}\nstored; see them with: npx agenttrace runs\n`);
  })();
}
