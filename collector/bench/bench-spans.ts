/**
 * The span batch the collector benches send: model-step spans as an agent
 * with another SDK would emit them, a prompt attribute included (dropped by
 * the allowlist) and one in twenty marked as an error.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** `n` finished spans, made with a real tracer. */
export function makeBenchSpans(n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'bench-agent',
      'deployment.environment.name': 'bench',
    }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('chat gpt-4o', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.provider.name': 'openai',
        'gen_ai.usage.input_tokens': 1000 + i,
        'gen_ai.usage.output_tokens': 100,
        'agenttrace.run.id': '0123456789abcdef0123456789abcdef',
        'agenttrace.step.type': 'model',
        'agenttrace.step.name': 'plan',
        'input.value': 'a prompt that must never be stored, about as long as a real one',
        'llm.token_count.prompt': 1000,
      },
    });
    span.addEvent('gen_ai.choice', { 'gen_ai.response.finish_reasons': ['stop'] });
    span.setStatus({ code: i % 20 === 0 ? SpanStatusCode.ERROR : SpanStatusCode.OK });
    span.end();
  }
  return memory.getFinishedSpans();
}
