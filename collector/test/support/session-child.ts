/**
 * A separate process for the sessions test: an agent whose SDK provider
 * (allowlist with the session key from `AGENTTRACE_SESSION_KEY_FILE`) sends
 * one run with a raw session id over OTLP/HTTP to a collector.
 *
 * argv: <collector url> <service name> <raw session id>
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AgentTracer, createTracerProvider } from '@agenttrace/sdk';

const [url, serviceName, sessionId] = process.argv.slice(2);
if (url === undefined || serviceName === undefined || sessionId === undefined)
  throw new Error('usage: session-child.ts <collector url> <service name> <raw session id>');

const provider = createTracerProvider({
  exporter: new OTLPTraceExporter({ url: `${url}/v1/traces` }),
  serviceName,
  scheduledDelayMillis: 10,
});
const tracer = new AgentTracer({ agentName: 'support', tracerProvider: provider });
tracer.run({ sessionId }, (run) => run.step('plan', 'decide', () => 1));
await provider.shutdown();
