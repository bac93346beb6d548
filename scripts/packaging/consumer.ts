// A strict TypeScript consumer: every public entry point, type-checked
// against the installed declarations (skipLibCheck off).
import {
  AgentTracer,
  AllowlistSpanProcessor,
  createTracerProvider,
  type Run,
} from '@agenttrace/sdk';
import {
  ClickHouseSpanExporter,
  createStore,
  EmbeddedEngineMissingError,
  type Store,
} from '@agenttrace/clickhouse-exporter';
import { listRuns, type RunRow } from '@agenttrace/query';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const store: Store = createStore({ url: 'http://localhost:8123', database: 'agenttrace' });
const exporter = new ClickHouseSpanExporter({ store });
const provider = createTracerProvider({ exporter, serviceName: 'consumer' });
const tracer = new AgentTracer({ agentName: 'consumer', tracerProvider: provider });
// the exporter and the allowlist slot into a provider of the user's own
const own = new TracerProvider({
  spanProcessors: [new AllowlistSpanProcessor(new BatchSpanProcessor({ exporter }))],
});
export async function trace(): Promise<RunRow[]> {
  await tracer.run(async (run: Run) => run.step('tool', 'lookup', async () => 1));
  return listRuns(store.client, { since: '1h' });
}
export const missing: string = new EmbeddedEngineMissingError(undefined).code;
export { own };
