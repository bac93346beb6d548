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
import { AgentTracer, AllowlistSpanProcessor, conventions as C, rule } from '../../src/index.js';

/** An allowlist (default policy unless given) into an in-memory exporter, and what it exported. */
function pipeline(policy?: ConstructorParameters<typeof AllowlistSpanProcessor>[1]) {
  const exporter = new InMemorySpanExporter();
  const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter), policy);
  const tracer = new BasicTracerProvider({ spanProcessors: [allowlist] }).getTracer('t');
  const exported = () => exporter.getFinishedSpans().map((s) => s.attributes);
  return { tracer, exported };
}

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

  it('remembers accepted values per key: a value one key accepted is still checked under another', () => {
    const { tracer, exported } = pipeline();
    // a label key accepts 'openai' and 'chat'; the operation name is an enum that has 'chat' only
    // (the label then accepts a second value, so 'openai' is only among those it remembers)
    tracer.startSpan('a', { attributes: { [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai' } }).end();
    tracer.startSpan('a', { attributes: { [C.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic' } }).end();
    tracer.startSpan('b', { attributes: { [C.ATTR_GEN_AI_OPERATION_NAME]: 'openai' } }).end();
    // numbers: an attempt of 500 passes (1..1000), a temperature of 500 does not (0..10)
    tracer.startSpan('c', { attributes: { [C.ATTR_STEP_ATTEMPT]: 500 } }).end();
    tracer.startSpan('d', { attributes: { [C.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 500 } }).end();
    expect(exported()).toEqual([
      { [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai' },
      { [C.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic' },
      { [C.ATTR_PRIVACY_DROPPED]: 1 },
      { [C.ATTR_STEP_ATTEMPT]: 500 },
      { [C.ATTR_PRIVACY_DROPPED]: 1 },
    ]);
  });

  it('checks each key by its own rule when spans carry the same keys in another order', () => {
    const { tracer, exported } = pipeline();
    // the lookup remembers the key at each position: the second span swaps them
    const first = {
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    };
    const swapped = {
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'openai',
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'chat',
    };
    for (const attributes of [first, swapped, first, swapped])
      tracer.startSpan('step', { attributes }).end();
    const kept = { [C.ATTR_GEN_AI_PROVIDER_NAME]: 'chat', [C.ATTR_PRIVACY_DROPPED]: 1 };
    expect(exported()).toEqual([first, kept, first, kept]);
  });

  it("finds no check for keys named after Object.prototype's members", () => {
    const { tracer, exported } = pipeline();
    const attributes: Attributes = {
      constructor: 'x',
      toString: 'y',
      hasOwnProperty: 'z',
      valueOf: 1,
      [C.ATTR_GEN_AI_AGENT_NAME]: 'support_agent',
    };
    tracer.startSpan('step', { attributes }).end();
    expect(exported()).toEqual([
      { [C.ATTR_GEN_AI_AGENT_NAME]: 'support_agent', [C.ATTR_PRIVACY_DROPPED]: 4 },
    ]);
  });

  it('keeps the run ids the SDK made without checking them again, and still checks a run id any other code sets', async () => {
    const exporter = new InMemorySpanExporter();
    const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter));
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [allowlist] });
    const agent = new AgentTracer({ agentName: 'support_agent', tracerProvider });
    // "jane.doe@mail.com" hex-encoded into an id's shape
    const textId = '6a616e65-2e64-6f65-406d-61696c2e636f';
    const runId = await agent.run(async (run) => {
      // any code holding the span can write to it (here through `step.span`, as through `trace.getActiveSpan()`)
      run.step('tool', 'lookup', (step) => step.span.setAttribute(C.ATTR_RUN_ID, textId));
      run.step('tool', 'lookup', () => undefined);
      return run.id;
    });
    const ids = exporter.getFinishedSpans().map((s) => s.attributes[C.ATTR_RUN_ID]);
    expect(ids).toEqual([undefined, runId, runId]);
  });
});
