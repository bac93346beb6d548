/**
 * `npm run demo`: runs the support agent on three tickets and prints every
 * span exactly as it would be stored, after the privacy allowlist.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor } from '@agenttrace/sdk';
import { handleTicket, TICKETS } from './support-agent.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter));
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'support-demo',
    'deployment.environment.name': 'demo',
    'user.email': 'ops@example.com',
  }),
  spanProcessors: [allowlist],
});
const tracer = new AgentTracer({
  agentName: 'support_agent',
  agentVersion: '1.0.0',
  tracerProvider: provider,
});

const ms = (s: ReadableSpan) => (s.duration[0] * 1e3 + s.duration[1] / 1e6).toFixed(1);

async function main(): Promise<void> {
  for (const ticket of TICKETS) await handleTicket(tracer, ticket).catch(() => undefined);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  const children = (parentId: string | undefined) =>
    spans
      .filter((s) => s.parentSpanContext?.spanId === parentId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const print = (s: ReadableSpan, depth: number): void => {
    const pad = '  '.repeat(depth);
    console.log(`${pad}${s.name}  ${ms(s)} ms  ${['unset', 'ok', 'ERROR'][s.status.code]}`);
    console.log(`${pad}  ${JSON.stringify(s.attributes)}`);
    for (const child of children(s.spanContext().spanId)) print(child, depth + 1);
  };
  console.log(
    `agenttrace demo: ${TICKETS.length} runs, ${spans.length} spans, shown as they would be stored\n`,
  );
  for (const root of children(undefined)) print(root, 0);
  const stats = allowlist.stats();
  console.log(`\nresource: ${JSON.stringify(spans[0]?.resource.attributes)}`);
  console.log(
    `allowlist: ${stats.spans} spans filtered, ${stats.dropped} items dropped ${JSON.stringify(stats.droppedByKey)}`,
  );
  await provider.shutdown();
}

void main();
