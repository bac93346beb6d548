/**
 * The official OTLP/HTTP exporters (JSON and protobuf, plain and gzip) send
 * to a collector on port 0; what reaches the collector's exporter is checked
 * span by span.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
type Compression = NonNullable<ConstructorParameters<typeof OtlpProtoExporter>[0]>['compression'];

interface Sent {
  root: ReadableSpan;
  child: ReadableSpan;
  other: ReadableSpan;
}

async function sendSpans(exporter: SpanExporter): Promise<Sent> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'support-bot',
      'deployment.environment.name': 'test',
      'user.email': 'jane@example.com',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('agenttrace-test', '1.2.3');
  const other = tracer.startSpan('retrieval docs', { kind: SpanKind.CLIENT });
  other.end();
  const root = tracer.startSpan('invoke_agent support-bot', {
    kind: SpanKind.SERVER,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-bot',
      'agenttrace.run.id': '0123456789abcdef0123456789abcdef',
      'agenttrace.run.status': 'failure',
    },
  });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 87,
        'gen_ai.request.temperature': 0.2,
        'gen_ai.response.finish_reasons': ['stop'],
        'input.value': 'What is my account balance?',
      },
      links: [{ context: other.spanContext(), attributes: { 'agenttrace.step.attempt': 2 } }],
    },
    ctx,
  );
  child.addEvent('exception', {
    'exception.type': 'RateLimitError',
    'exception.message': 'for jane',
  });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate_limited' });
  child.end();
  root.setStatus({ code: SpanStatusCode.ERROR });
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return {
    root: root as unknown as ReadableSpan,
    child: child as unknown as ReadableSpan,
    other: other as unknown as ReadableSpan,
  };
}

describe('collector with the official OTLP exporters', () => {
  let t: TestCollector;
  beforeEach(async () => {
    t = await startCollector({ tokens: [TOKEN] });
  });
  afterEach(async () => {
    await t.collector.close();
  });

  const cases: [string, () => SpanExporter][] = [
    [
      'otlp-http (JSON)',
      () =>
        new OtlpHttpExporter({
          url: `${t.url}/v1/traces`,
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
    ],
    [
      'otlp-proto',
      () =>
        new OtlpProtoExporter({
          url: `${t.url}/v1/traces`,
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
    ],
    [
      'otlp-proto with gzip',
      () =>
        new OtlpProtoExporter({
          url: `${t.url}/v1/traces`,
          headers: { authorization: `Bearer ${TOKEN}` },
          compression: 'gzip' as Compression,
        }),
    ],
    [
      'otlp-http (JSON) with gzip',
      () =>
        new OtlpHttpExporter({
          url: `${t.url}/v1/traces`,
          headers: { authorization: `Bearer ${TOKEN}` },
          compression: 'gzip' as Compression,
        }),
    ],
  ];

  it.each(cases)('%s: spans arrive whole, filtered by the allowlist', async (_name, make) => {
    const sent = await sendSpans(make());
    await t.collector.forceFlush();
    const got = new Map(t.exporter.getFinishedSpans().map((s) => [s.spanContext().spanId, s]));
    expect(got.size).toBe(3);

    const root = got.get(sent.root.spanContext().spanId);
    const child = got.get(sent.child.spanContext().spanId);
    const other = got.get(sent.other.spanContext().spanId);
    if (!root || !child || !other) throw new Error('a span is missing');

    expect(root.name).toBe('invoke_agent support-bot');
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(root.spanContext().traceId).toBe(sent.root.spanContext().traceId);
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(root.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-bot',
      'agenttrace.run.id': '0123456789abcdef0123456789abcdef',
      'agenttrace.run.status': 'failure',
    });
    expect(root.startTime).toEqual(sent.root.startTime);
    expect(root.endTime).toEqual(sent.root.endTime);

    expect(child.name).toBe('chat gpt-4o');
    expect(child.kind).toBe(SpanKind.CLIENT);
    expect(child.spanContext().traceId).toBe(sent.root.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(sent.root.spanContext().spanId);
    expect(child.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 87,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.finish_reasons': ['stop'],
      'agenttrace.privacy.dropped': 2,
    });
    expect(child.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate_limited' });
    expect(child.events).toHaveLength(1);
    expect(child.events[0]?.name).toBe('exception');
    expect(child.events[0]?.attributes).toEqual({ 'exception.type': 'RateLimitError' });
    expect(child.events[0]?.time).toEqual(sent.child.events[0]?.time);
    expect(child.links).toHaveLength(1);
    expect(child.links[0]?.context.spanId).toBe(sent.other.spanContext().spanId);
    expect(child.links[0]?.context.traceId).toBe(sent.other.spanContext().traceId);
    expect(child.links[0]?.attributes).toEqual({ 'agenttrace.step.attempt': 2 });

    expect(other.name).toBe('retrieval docs');
    expect(other.kind).toBe(SpanKind.CLIENT);
    for (const span of [root, child, other]) {
      expect(span.resource.attributes).toEqual({
        'service.name': 'support-bot',
        'deployment.environment.name': 'test',
      });
      expect(span.instrumentationScope).toEqual({ name: 'agenttrace-test', version: '1.2.3' });
    }
    expect(t.collector.metrics.accepted).toBe(3);
    expect(t.collector.renderMetrics()).toContain(
      'agenttrace_collector_allowlist_redacted_total{key="input.value"} 1',
    );
  });

  it('answers 401 without the bearer token, and the exporter reports failure', async () => {
    const exporter = new OtlpProtoExporter({
      url: `${t.url}/v1/traces`,
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    const result = await new Promise<{ code: number }>((resolve) => {
      const provider = new BasicTracerProvider();
      const span = provider.getTracer('x').startSpan('chat gpt-4o');
      span.end();
      exporter.export([span as unknown as ReadableSpan], resolve);
    });
    expect(result.code).not.toBe(0);
    expect(t.exporter.getFinishedSpans()).toHaveLength(0);
    expect(t.collector.metrics.requests.get(401)).toBe(1);
  });
});
