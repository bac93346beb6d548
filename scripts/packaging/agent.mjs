// A plain-node ESM agent from the installed tarballs: one run with two steps
// into the store (embedded, or AGENTTRACE_CLICKHOUSE_URL), then read back.
import { AgentTracer, createTracerProvider } from '@agenttrace/sdk';
import { ClickHouseSpanExporter, createStore, migrate } from '@agenttrace/clickhouse-exporter';
import { listRuns } from '@agenttrace/query';

const url = process.env.AGENTTRACE_CLICKHOUSE_URL;
const store = createStore(url ? { url } : { path: process.argv[2] });
await migrate(store.client, { database: store.database });
const provider = createTracerProvider({ exporter: new ClickHouseSpanExporter({ store }) });
const tracer = new AgentTracer({ agentName: 'esm_agent', tracerProvider: provider });
await tracer.run(async (run) => {
  await run.step('retrieve', 'search_kb', async () => ['doc']);
  await run.step('model', 'answer', { model: 'gpt-4o-mini', provider: 'openai' }, async () => 'ok');
});
await provider.shutdown();
const runs = await listRuns(store.client, { agent: 'esm_agent', since: '1h' });
await store.close();
if (runs.length !== 1 || runs[0].step_count !== 2) {
  throw new Error(`esm agent: expected 1 run of 2 steps, got ${JSON.stringify(runs)}`);
}
console.log(`esm agent: 1 run, ${runs[0].step_count} steps, ${runs[0].status}`);
