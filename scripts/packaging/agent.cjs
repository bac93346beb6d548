// The same agent through require(): the CommonJS builds.
const { AgentTracer, createTracerProvider } = require('@agenttrace/sdk');
const { ClickHouseSpanExporter, createStore, migrate } = require('@agenttrace/clickhouse-exporter');
const { listRuns } = require('@agenttrace/query');

async function main() {
  const url = process.env.AGENTTRACE_CLICKHOUSE_URL;
  const store = createStore(url ? { url } : { path: process.argv[2] });
  await migrate(store.client, { database: store.database });
  const provider = createTracerProvider({ exporter: new ClickHouseSpanExporter({ store }) });
  const tracer = new AgentTracer({ agentName: 'cjs_agent', tracerProvider: provider });
  await tracer.run(async (run) => {
    await run.step('tool', 'orders_api', async () => ({ status: 'shipped' }));
  });
  await provider.shutdown();
  const runs = await listRuns(store.client, { agent: 'cjs_agent', since: '1h' });
  await store.close();
  if (runs.length !== 1 || runs[0].step_count !== 1) {
    throw new Error(`cjs agent: expected 1 run of 1 step, got ${JSON.stringify(runs)}`);
  }
  console.log(`cjs agent: 1 run, ${runs[0].step_count} step, ${runs[0].status}`);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
