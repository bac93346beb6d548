/**
 * Writes runs in sessions into a store, for the sessions tests of the query
 * API, the collector and the CLI. The session pseudonym is set by a span
 * processor here (what the SDK's pseudonymizer stores), and the spans go
 * straight through `ClickHouseSpanExporter`.
 */
import { trace, type Context } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer } from '@agenttrace/sdk';
import { ClickHouseSpanExporter, type Store } from '@agenttrace/clickhouse-exporter';

/** Two sessions as the pseudonymizer would store them (key id, digest). */
export const SESSION_A = 'k1a2b3c4.0123456789abcdef0123456789abcdef';
/** The second session. */
export const SESSION_B = 'k1a2b3c4.fedcba9876543210fedcba9876543210';

/** Tags the root run span with the current session, as the SDK's processor does. */
class SessionTagger implements SpanProcessor {
  session = '';
  onStart(span: Span, parent: Context): void {
    if (this.session !== '' && trace.getSpan(parent) === undefined)
      span.setAttribute('agenttrace.session.id', this.session);
  }
  onEnd(_span: ReadableSpan): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** What {@link writeSessions} wrote. */
export interface SessionFixture {
  /** Run ids of session A in start order: support (root, with a nested run), billing (failed), support. */
  a: string[];
  /** Run ids of session B. */
  b: string[];
  /** A run without a session. */
  none: string;
}

/**
 * Session A: a support run in service `web` with a nested triage run, a
 * failed billing run in service `billing`, another support run. Session B: a
 * support run in `web`. One run without a session.
 */
export async function writeSessions(store: Store): Promise<SessionFixture> {
  const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 20 });
  const tagger = new SessionTagger();
  const provider = (service: string) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [tagger, new SimpleSpanProcessor(exporter)],
    });
  const web = provider('web');
  const billingService = provider('billing');
  const support = new AgentTracer({ agentName: 'support', tracerProvider: web });
  const triage = new AgentTracer({ agentName: 'triage', tracerProvider: web });
  const billing = new AgentTracer({ agentName: 'billing', tracerProvider: billingService });
  const model = { model: 'gpt-4o-mini', provider: 'openai' };
  const a: string[] = [];
  const b: string[] = [];

  tagger.session = SESSION_A;
  await support.run(async (run) => {
    a.push(run.ref.runId);
    await run.step('model', 'answer', model, async (s) =>
      s.setUsage({ inputTokens: 100, outputTokens: 10 }),
    );
    await run.step('tool', 'ask_triage', async () =>
      triage.run(async (nested) => {
        a.push(nested.ref.runId);
        await nested.step('model', 'classify', model, async (s) =>
          s.setUsage({ inputTokens: 50, outputTokens: 5 }),
        );
      }),
    );
  });
  await billing
    .run(async (run) => {
      a.push(run.ref.runId);
      await run.step('tool', 'charge', async () => {
        throw Object.assign(new Error('no'), { status: 503 });
      });
    })
    .catch(() => undefined);
  await support.run(async (run) => {
    a.push(run.ref.runId);
    await run.step('model', 'answer', model, async (s) =>
      s.setUsage({ inputTokens: 200, outputTokens: 20 }),
    );
  });
  // session B's run is the newest: a span's start is the wall clock, which on these VMs
  // steps by up to 10 ms against the monotonic durations, so a run started right after
  // another could seem to end before it (listSessions orders by last seen)
  await new Promise((resolve) => setTimeout(resolve, 25));
  tagger.session = SESSION_B;
  await support.run(async (run) => {
    b.push(run.ref.runId);
    await run.step('model', 'answer', model, async (s) =>
      s.setUsage({ inputTokens: 1, outputTokens: 1 }),
    );
  });
  tagger.session = '';
  const none = await support.run(async (run) => run.ref.runId);
  await web.forceFlush();
  await billingService.forceFlush();
  await web.shutdown();
  await billingService.shutdown();
  return { a, b, none };
}
