/**
 * The allowlist's fast paths remember the last value a check accepted and
 * the last resource and scope it filtered. These tests alternate accepted
 * and refused values (and two providers) through one processor, so a fast
 * path that answered for the wrong value or the wrong provider would show.
 */
import { type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { AllowlistSpanProcessor, conventions as C, rule } from '../../src/index.js';

describe('allowlist check caches', () => {
  it('refuses a bad value right after accepting a good one, and accepts the good one again (label, enum, id)', () => {
    const exporter = new InMemorySpanExporter();
    const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter), {
      policy: { spanAttributes: { 'app.tier': rule.enum(['free', 'pro']) } },
    });
    const tracer = new BasicTracerProvider({ spanProcessors: [allowlist] }).getTracer('t');
    const good: Attributes = {
      [C.ATTR_GEN_AI_AGENT_NAME]: 'support_agent',
      'app.tier': 'pro',
      [C.ATTR_RUN_ID]: '3f2b8c1e-9a47-4d2b-8e61-5c0a7f9d2b14',
    };
    const bad: Attributes = {
      [C.ATTR_GEN_AI_AGENT_NAME]: 'jane.doe@example.com',
      'app.tier': 'enterprise',
      // "jane.doe@mail.com" hex-encoded into an id's shape
      [C.ATTR_RUN_ID]: '6a616e65-2e64-6f65-406d-61696c2e636f',
    };
    for (const attributes of [good, bad, good, bad, good])
      tracer.startSpan('step', { attributes }).end();
    const exported = exporter.getFinishedSpans().map((s) => s.attributes);
    expect(exported).toHaveLength(5);
    for (const i of [0, 2, 4]) expect(exported[i]).toEqual(good);
    for (const i of [1, 3]) expect(exported[i]).toEqual({ [C.ATTR_PRIVACY_DROPPED]: 3 });
  });

  it('gives each provider its own filtered resource when their spans alternate through one processor', () => {
    const exporter = new InMemorySpanExporter();
    const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter));
    const provider = (resource: Attributes) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes(resource),
        spanProcessors: [allowlist],
      }).getTracer('t');
    const a = provider({ 'service.name': 'checkout' });
    const b = provider({ 'service.name': 'billing', 'user.email': 'jane.doe@example.com' });
    for (const tracer of [a, b, a, b]) tracer.startSpan('step').end();
    const services = exporter.getFinishedSpans().map((s) => s.resource.attributes);
    expect(services).toEqual([
      { 'service.name': 'checkout' },
      { 'service.name': 'billing' },
      { 'service.name': 'checkout' },
      { 'service.name': 'billing' },
    ]);
  });
});
