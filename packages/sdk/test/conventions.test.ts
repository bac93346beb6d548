/**
 * The spans the SDK makes, as they leave the allowlist, against the GenAI
 * semantic conventions as they stand now: span kind, span name and the
 * attributes each span type requires.
 *
 * The table below is derived from open-telemetry/semantic-conventions-genai
 * model/gen-ai/spans.yaml and model/gen-ai/registry.yaml at commit
 * 11069855473880ad2b22a60de687a3a7b7ea7bd5 (docs/conventions.md): for each
 * span type, `requirement_level: required` and the `conditionally_required`
 * attributes whose condition holds for the span made here.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { conventions as C, createPrivacyPolicy, isForbiddenKey, rule } from '../src/index.js';
import { createPipeline } from './support/pipeline.js';

interface SpecShape {
  /** The `type` in spans.yaml (or the refinement's `id`). */
  readonly spec: string;
  readonly kind: SpanKind;
  /** The span name the `name.note` gives, filled in for the span below. */
  readonly name: string;
  /** Required, and conditionally required where the condition holds. */
  readonly required: readonly string[];
  /** The values the conventions fix (operation names, enum members). */
  readonly values: Readonly<Record<string, unknown>>;
}

const SPEC: Readonly<Record<string, SpecShape>> = {
  inference: {
    spec: 'gen_ai.client.inference',
    kind: SpanKind.CLIENT,
    name: 'chat gpt-4o',
    // required: operation.name, provider.name; conditionally: request.model ("If available")
    required: ['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model'],
    values: { 'gen_ai.operation.name': 'chat' },
  },
  retrieval: {
    spec: 'gen_ai.retrieval.client',
    kind: SpanKind.CLIENT,
    name: 'retrieval kb_main',
    // required: operation.name; conditionally: data_source.id ("When applicable")
    required: ['gen_ai.operation.name', 'gen_ai.data_source.id'],
    values: { 'gen_ai.operation.name': 'retrieval' },
  },
  tool: {
    spec: 'gen_ai.execute_tool.internal',
    kind: SpanKind.INTERNAL,
    name: 'execute_tool orders_api',
    // required: operation.name, tool.name; conditionally: agent.name ("When applicable")
    required: ['gen_ai.operation.name', 'gen_ai.tool.name', 'gen_ai.agent.name'],
    values: { 'gen_ai.operation.name': 'execute_tool' },
  },
  handoff: {
    spec: 'gen_ai.execute_tool.transfer.internal',
    kind: SpanKind.INTERNAL,
    name: 'execute_tool handoff billing',
    // the refinement adds transfer.mode and transfer.target.name (conditionally required)
    required: [
      'gen_ai.operation.name',
      'gen_ai.tool.name',
      'gen_ai.transfer.mode',
      'gen_ai.transfer.target.name',
    ],
    values: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.transfer.mode': 'pass_control',
      'gen_ai.transfer.target.name': 'billing',
    },
  },
  plan: {
    spec: 'gen_ai.plan.internal',
    kind: SpanKind.INTERNAL,
    name: 'plan support',
    // required: operation.name; conditionally: agent.name ("When available")
    required: ['gen_ai.operation.name', 'gen_ai.agent.name'],
    values: { 'gen_ai.operation.name': 'plan' },
  },
  agentInternal: {
    spec: 'gen_ai.invoke_agent.internal',
    kind: SpanKind.INTERNAL,
    name: 'invoke_agent support',
    // required: operation.name; conditionally: agent.name. provider.name is
    // required on the client span only; agenttrace writes it on both.
    required: ['gen_ai.operation.name', 'gen_ai.agent.name', 'gen_ai.provider.name'],
    values: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'agenttrace' },
  },
  agentClient: {
    spec: 'gen_ai.invoke_agent.client',
    kind: SpanKind.CLIENT,
    name: 'invoke_agent remote_helper',
    // required: operation.name, provider.name; conditionally: agent.name,
    // agent.version, caller.type and caller.name (the caller is exposed here)
    required: [
      'gen_ai.operation.name',
      'gen_ai.provider.name',
      'gen_ai.agent.name',
      'gen_ai.agent.version',
      'gen_ai.caller.type',
      'gen_ai.caller.name',
    ],
    values: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'openai',
      'gen_ai.caller.type': 'agent',
      'gen_ai.caller.name': 'support',
    },
  },
  workflow: {
    spec: 'gen_ai.invoke_workflow.internal',
    kind: SpanKind.INTERNAL,
    name: 'invoke_workflow support_pipeline',
    // required: operation.name; conditionally: workflow.name ("When available")
    required: ['gen_ai.operation.name', 'gen_ai.workflow.name'],
    values: {
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': 'support_pipeline',
    },
  },
};

function expectShape(span: ReadableSpan, shape: SpecShape): void {
  expect([shape.spec, span.kind]).toEqual([shape.spec, shape.kind]);
  expect([shape.spec, span.name]).toEqual([shape.spec, shape.name]);
  const missing = shape.required.filter((k) => span.attributes[k] === undefined);
  expect([shape.spec, missing]).toEqual([shape.spec, []]);
  expect(span.attributes).toMatchObject(shape.values);
  // the allowlist kept the span as it was: nothing of it was dropped
  expect([shape.spec, span.attributes[C.ATTR_PRIVACY_DROPPED]]).toEqual([shape.spec, undefined]);
}

describe('GenAI conventions (semantic-conventions-genai at 11069855)', () => {
  it('gives every step type the span kind, name and attributes the conventions require', async () => {
    const p = createPipeline();
    const support = p.agent('support', { agentVersion: '3' });
    const remote = p.agent('remote_helper', {
      agentVersion: '1',
      provider: 'openai',
      remote: true,
    });

    await support.workflow('support_pipeline', () =>
      support.run(async (run) => {
        await run.step('plan', 'analyze_query', async () => undefined);
        await run.step('retrieve', 'search_kb', { dataSource: 'kb_main' }, async () => []);
        await run.step(
          'tool',
          'call_api',
          { tool: 'orders_api', toolCallId: 'call_mszuSIzqtI65i1wAUOE8w5H4' },
          async () => undefined,
        );
        await run.step('model', 'answer', { model: 'gpt-4o', provider: 'openai' }, async (s) =>
          s.setResponse({ id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT' }),
        );
        await run.handoff('billing', async () => undefined);
        await run.step('tool', 'ask_helper', async () => remote.run(async () => undefined));
      }),
    );

    expectShape(p.byName('chat gpt-4o'), SPEC.inference!);
    expectShape(p.byName('retrieval kb_main'), SPEC.retrieval!);
    expectShape(p.byName('execute_tool orders_api'), SPEC.tool!);
    expectShape(p.byName('execute_tool handoff billing'), SPEC.handoff!);
    expectShape(p.byName('plan support'), SPEC.plan!);
    expectShape(p.byName('invoke_agent support'), SPEC.agentInternal!);
    expectShape(p.byName('invoke_agent remote_helper'), SPEC.agentClient!);
    expectShape(p.byName('invoke_workflow support_pipeline'), SPEC.workflow!);
    expect(p.byName('execute_tool orders_api').attributes[C.ATTR_GEN_AI_TOOL_CALL_ID]).toBe(
      'call_mszuSIzqtI65i1wAUOE8w5H4',
    );
    expect(p.byName('chat gpt-4o').attributes[C.ATTR_GEN_AI_RESPONSE_ID]).toBe(
      'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    );
  });

  it('names a retrieval step after the step when it names no data source', () => {
    const p = createPipeline();
    p.agent('a').run((run) => run.step('retrieve', 'search_kb', () => undefined));
    const span = p.byName('retrieval search_kb');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes[C.ATTR_GEN_AI_DATA_SOURCE_ID]).toBeUndefined();
  });

  it('puts runs inside a workflow under it, naming the workflow as their caller', async () => {
    const p = createPipeline();
    const triage = p.agent('triage');
    const answer = p.agent('answerer');
    const out = await triage.workflow('support_pipeline', async () => {
      await triage.run(async () => undefined);
      return answer.run(() => 7);
    });
    expect(out).toBe(7);
    const wf = p.byName('invoke_workflow support_pipeline');
    for (const name of ['invoke_agent triage', 'invoke_agent answerer']) {
      const run = p.byName(name);
      expect(run.parentSpanContext?.spanId).toBe(wf.spanContext().spanId);
      expect(run.attributes).toMatchObject({
        [C.ATTR_GEN_AI_WORKFLOW_NAME]: 'support_pipeline',
        [C.ATTR_GEN_AI_CALLER_TYPE]: 'workflow',
        [C.ATTR_GEN_AI_CALLER_NAME]: 'support_pipeline',
        [C.ATTR_RUN_ORIGIN]: 'root',
      });
    }
    expect(wf.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('fails a workflow span on a sync throw or a rejection, with error.type, and rethrows', async () => {
    const p = createPipeline();
    const t = p.agent('a');
    expect(() =>
      t.workflow('sync_wf', () => {
        throw new TypeError('boom');
      }),
    ).toThrow('boom');
    await expect(
      t.workflow('async_wf', async () => Promise.reject(new RangeError('x'))),
    ).rejects.toThrow('x');
    for (const [name, type] of [
      ['invoke_workflow sync_wf', 'TypeError'],
      ['invoke_workflow async_wf', 'RangeError'],
    ] as const) {
      const span = p.byName(name);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes[C.ATTR_ERROR_TYPE]).toBe(type);
      expect(span.ended).toBe(true);
    }
    expect(() => t.workflow('my workflow', () => 1)).toThrow(
      /workflow name must be a label.*"my workflow"/,
    );
  });

  it('hands off: the target run nests under the handoff step and names its caller', async () => {
    const p = createPipeline();
    const support = p.agent('support');
    const billing = p.agent('billing');
    await support.run((run) =>
      run.handoff('billing', { mode: 'return_to_caller', tool: 'transfer_to_billing' }, () =>
        billing.run(async () => undefined),
      ),
    );
    const step = p.byName('execute_tool transfer_to_billing billing');
    expect(step.attributes).toMatchObject({
      [C.ATTR_STEP_TYPE]: 'tool',
      [C.ATTR_STEP_NAME]: 'transfer_to_billing',
      [C.ATTR_GEN_AI_TOOL_NAME]: 'transfer_to_billing',
      [C.ATTR_GEN_AI_AGENT_NAME]: 'support',
      [C.ATTR_GEN_AI_TRANSFER_MODE]: 'return_to_caller',
      [C.ATTR_GEN_AI_TRANSFER_TARGET_NAME]: 'billing',
    });
    const target = p.byName('invoke_agent billing');
    expect(target.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    expect(target.attributes).toMatchObject({
      [C.ATTR_RUN_ORIGIN]: 'nested',
      [C.ATTR_GEN_AI_CALLER_TYPE]: 'agent',
      [C.ATTR_GEN_AI_CALLER_NAME]: 'support',
    });
  });

  it('refuses a handoff to a target that is not an agent name, or with an unknown mode, naming the field', () => {
    const p = createPipeline();
    const t = p.agent('a');
    expect(() => t.run((run) => run.handoff('Jane Doe', () => 1))).toThrow(
      /transfer.target must be an agent name.*"Jane Doe"/,
    );
    expect(() =>
      t.run((run) => run.handoff('b', { mode: 'forever' as 'pass_control' }, () => 1)),
    ).toThrow(/transfer.mode must be one of return_to_caller, pass_control \(got "forever"\)/);
  });

  it('writes cache writes under cache_write, whichever usage field names them', () => {
    const p = createPipeline();
    p.agent('a').run((run) => {
      run.step('model', 'new', { model: 'm1' }, (s) => s.setUsage({ cacheWriteInputTokens: 7 }));
      run.step('model', 'old', { model: 'm2' }, (s) => s.setUsage({ cacheCreationInputTokens: 9 }));
    });
    for (const [name, n] of [
      ['chat m1', 7],
      ['chat m2', 9],
    ] as const) {
      const a = p.byName(name).attributes;
      expect(a[C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]).toBe(n);
      expect(a[C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]).toBeUndefined();
    }
  });
});

describe('allowlist: the newer GenAI keys', () => {
  function exportRaw(attributes: Record<string, string | number>) {
    // a span another instrumentation made, straight on the provider
    const p = createPipeline();
    p.provider.getTracer('raw').startSpan('execute_tool lookup', { attributes }).end();
    return p.byName('execute_tool lookup').attributes;
  }

  it('keeps workflow, transfer, caller, tool call and response ids and the prompt name', () => {
    const a = exportRaw({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.workflow.name': 'support_pipeline',
      'gen_ai.transfer.mode': 'pass_control',
      'gen_ai.transfer.target.name': 'billing',
      'gen_ai.caller.type': 'workflow',
      'gen_ai.caller.name': 'support_pipeline',
      'gen_ai.tool.call.id': 'toolu_01A09q90qw90lq917835lq9',
      'gen_ai.response.id': '4bf92f35-77b3-4da6-a3ce-929d0e0e4736',
      'gen_ai.prompt.name': 'analyze-code',
      'gen_ai.prompt.version': 'v2',
    });
    expect(a).toMatchObject({
      'gen_ai.workflow.name': 'support_pipeline',
      'gen_ai.transfer.mode': 'pass_control',
      'gen_ai.transfer.target.name': 'billing',
      'gen_ai.caller.type': 'workflow',
      'gen_ai.caller.name': 'support_pipeline',
      'gen_ai.tool.call.id': 'toolu_01A09q90qw90lq917835lq9',
      'gen_ai.response.id': '4bf92f35-77b3-4da6-a3ce-929d0e0e4736',
      'gen_ai.prompt.name': 'analyze-code',
      'gen_ai.prompt.version': 'v2',
    });
    expect(a[C.ATTR_PRIVACY_DROPPED]).toBeUndefined();
  });

  it('drops ids and names that hold personal data or encoded text, and unknown enum values', () => {
    const encoded = Buffer.from('jane.doe@example.com').toString('base64').replace(/=+$/, '');
    const a = exportRaw({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.call.id': `call_${encoded}`,
      'gen_ai.response.id': 'jane.doe@example.com',
      'gen_ai.transfer.mode': 'teleport',
      'gen_ai.transfer.target.name': 'Jane Doe',
      'gen_ai.caller.name': '+1 415 555 0199',
      'gen_ai.caller.type': 'human',
      'gen_ai.workflow.name': 'jane@example.com',
      'gen_ai.prompt.name': 'Summarise the contract for Jane',
    });
    for (const key of [
      'gen_ai.tool.call.id',
      'gen_ai.response.id',
      'gen_ai.transfer.mode',
      'gen_ai.transfer.target.name',
      'gen_ai.caller.name',
      'gen_ai.caller.type',
      'gen_ai.workflow.name',
      'gen_ai.prompt.name',
    ])
      expect([key, a[key]]).toEqual([key, undefined]);
    expect(a[C.ATTR_PRIVACY_DROPPED]).toBe(8);
  });

  it('drops provider-shaped ids that are keys or hold a phone number, keeps random ones', () => {
    const kept = [
      'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
      'msg_01XFDUDYJgAACzvnptvVoYEL',
    ];
    const dropped = [
      'sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL',
      'AKIAIOSFODNN7EXAMPLE0',
      'call_4155550199abcdefgh',
      'call_abc',
      `toolu_${Buffer.from('Jane Doe, 12 Main St').toString('hex')}`,
    ];
    for (const id of [...kept, ...dropped]) {
      const a = exportRaw({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.call.id': id });
      expect([id, a['gen_ai.tool.call.id']]).toEqual([id, kept.includes(id) ? id : undefined]);
    }
  });

  it('drops the content keys of the current conventions', () => {
    const content = {
      'gen_ai.tool.definitions': '[{"type":"function","name":"get_weather"}]',
      'gen_ai.input.messages': '[{"role":"user"}]',
      'gen_ai.input.messages.delta': '[{"role":"user","parts":[]}]',
      'gen_ai.memory.records': '[{"content":"User prefers dark mode"}]',
      'gen_ai.memory.query.text': 'user dietary preferences',
      'gen_ai.evaluation.explanation': 'The answer was wrong about Jane',
      'gen_ai.prompt.variable.user_name': 'Alice',
      'gen_ai.prompt.0.content': 'hello',
    };
    const a = exportRaw({ 'gen_ai.operation.name': 'execute_tool', ...content });
    for (const key of Object.keys(content)) expect([key, a[key]]).toEqual([key, undefined]);
  });

  it('forbids the content keys in any policy, but not the prompt name and version', () => {
    for (const key of [
      'gen_ai.tool.definitions',
      'gen_ai.input.messages.delta',
      'gen_ai.output.messages',
      'gen_ai.memory.records',
      'gen_ai.memory.query.text',
      'gen_ai.evaluation.explanation',
      'gen_ai.prompt.variable.user_name',
      'gen_ai.prompt.0.content',
    ]) {
      expect([key, isForbiddenKey(key)]).toEqual([key, true]);
      expect(() => createPrivacyPolicy({ spanAttributes: { [key]: rule.label() } })).toThrow(
        new RegExp(`\\["${key.replace(/\./g, '\\.')}"\\] carries content`),
      );
    }
    expect(isForbiddenKey('gen_ai.prompt.name')).toBe(false);
    expect(isForbiddenKey('gen_ai.prompt.version')).toBe(false);
  });
});
