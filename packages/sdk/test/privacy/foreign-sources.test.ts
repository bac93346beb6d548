/**
 * Spans as OpenInference, OpenLLMetry / Traceloop, LangChain and the AI SDK
 * write them, through the real pipeline. Attribute names and span names are
 * those of the instrumentations' sources (OpenInference
 * `SemanticConventions.ts` and its openai/anthropic/langchain
 * instrumentations, OpenLLMetry `SemanticAttributes.ts` and the
 * traceloop-sdk decorators, the `ai` package's telemetry). Each mapping is
 * checked both ways: the safe value is kept, and private data in the same
 * place is dropped.
 */
import { context, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { conventions as C } from '../../src/index.js';
import { createPipeline } from '../support/pipeline.js';

function exportOne(name: string, attributes: Attributes) {
  const p = createPipeline();
  p.provider.getTracer('third-party').startSpan(name, { attributes }).end();
  return p.spans()[0]!;
}

describe('OpenInference', () => {
  it('maps embedding.model_name, llm.request/response.model_name, llm.finish_reason and reasoning tokens', () => {
    const embedding = exportOne('OpenAI Embeddings', {
      'openinference.span.kind': 'EMBEDDING',
      'embedding.model_name': 'text-embedding-3-small',
      'embedding.embeddings.0.embedding.text': 'my address is 1 Main St',
      'llm.token_count.prompt': 8,
    });
    expect(embedding.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'embeddings',
      [C.ATTR_GEN_AI_REQUEST_MODEL]: 'text-embedding-3-small',
      [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 8,
    });
    expect(JSON.stringify(embedding.attributes)).not.toContain('Main St');

    const llm = exportOne('Anthropic Messages', {
      'openinference.span.kind': 'LLM',
      'llm.request.model_name': 'claude-sonnet-4-5',
      'llm.response.model_name': 'claude-sonnet-4-5-20250929',
      'llm.provider': 'anthropic',
      'llm.finish_reason': 'end_turn',
      'llm.token_count.completion_details.reasoning': 40,
      'llm.input_messages.0.message.content': 'hi, I am Jane',
    });
    expect(llm.attributes).toMatchObject({
      [C.ATTR_GEN_AI_REQUEST_MODEL]: 'claude-sonnet-4-5',
      [C.ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-sonnet-4-5-20250929',
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['end_turn'],
      [C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 40,
    });
    expect(llm.name).toBe('chat claude-sonnet-4-5');
  });

  it('drops private data under the same names', () => {
    const span = exportOne('OpenAI Embeddings', {
      'openinference.span.kind': 'EMBEDDING',
      'embedding.model_name': 'jane.doe@example.com',
      'llm.request.model_name': '4111 1111 1111 1111',
      'llm.finish_reason': 'call 415-555-0199',
      'llm.token_count.completion_details.reasoning': 4155550199,
    });
    expect(span.attributes[C.ATTR_GEN_AI_REQUEST_MODEL]).toBeUndefined();
    expect(span.attributes[C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).toBeUndefined();
    expect(span.attributes[C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]).toBeUndefined();
  });

  it('names the agent after the AGENT span (LangChain run name), only when the name is a safe label', () => {
    const agent = exportOne('AgentExecutor', {
      'openinference.span.kind': 'AGENT',
      'input.value': '{"input":"refund order 42 for jane@example.com"}',
    });
    expect(agent.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [C.ATTR_GEN_AI_AGENT_NAME]: 'AgentExecutor',
    });
    const named = exportOne('AgentExecutor', {
      'openinference.span.kind': 'AGENT',
      'agent.name': 'refund_agent',
    });
    expect(named.attributes[C.ATTR_GEN_AI_AGENT_NAME]).toBe('refund_agent');
    for (const unsafe of ['Jane Doe', 'jane@example.com', 'agent-4155550199']) {
      const span = exportOne(unsafe, { 'openinference.span.kind': 'AGENT' });
      expect(span.attributes[C.ATTR_GEN_AI_AGENT_NAME]).toBeUndefined();
      expect(span.name).toBe('invoke_agent');
    }
  });

  it("reads LangChain's provider and model from its metadata JSON, and nothing else from it", () => {
    const span = exportOne('ChatAnthropic', {
      'openinference.span.kind': 'LLM',
      metadata: JSON.stringify({
        ls_provider: 'anthropic',
        ls_model_name: 'claude-haiku-4-5-20251001',
        ls_model_type: 'chat',
        user_email: 'jane@example.com',
        thread: 'my secret plan',
      }),
    });
    expect(span.attributes).toMatchObject({
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [C.ATTR_GEN_AI_REQUEST_MODEL]: 'claude-haiku-4-5-20251001',
    });
    const text = JSON.stringify(span.attributes);
    expect(text).not.toContain('jane@example.com');
    expect(text).not.toContain('secret');
    const mapped = exportOne('AzureChatOpenAI', {
      'openinference.span.kind': 'LLM',
      metadata: '{"ls_provider":"azure","ls_model_name":"gpt-4o"}',
    });
    expect(mapped.attributes[C.ATTR_GEN_AI_PROVIDER_NAME]).toBe('azure.ai.openai');
    for (const bad of [
      '{"ls_provider":"jane@example.com"}',
      '{"ls_provider":"call me 4155550199"}',
      '{"ls_provider": 12}',
      '{"ls_provider": "openai"', // not JSON
    ]) {
      const s = exportOne('ChatX', { 'openinference.span.kind': 'LLM', metadata: bad });
      expect([bad, s.attributes[C.ATTR_GEN_AI_PROVIDER_NAME]]).toEqual([bad, undefined]);
    }
  });

  it('spells providers as the GenAI conventions do', () => {
    const xai = exportOne('x', { 'openinference.span.kind': 'LLM', 'llm.provider': 'xai' });
    expect(xai.attributes[C.ATTR_GEN_AI_PROVIDER_NAME]).toBe('x_ai');
    const old = exportOne('openai.chat', { 'llm.request.type': 'chat', 'gen_ai.system': 'OpenAI' });
    expect(old.attributes).toMatchObject({
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    });
  });
});

describe('OpenLLMetry / Traceloop', () => {
  it('maps cache and reasoning token spellings, old and new', () => {
    const span = exportOne('anthropic.chat', {
      'llm.request.type': 'chat',
      'gen_ai.system': 'Anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.usage.prompt_tokens': 100,
      'gen_ai.usage.completion_tokens': 20,
      'gen_ai.usage.cache_creation_input_tokens': 30,
      'gen_ai.usage.cache_read_input_tokens': 40,
      'gen_ai.usage.reasoning_tokens': 5,
      'gen_ai.prompt.0.content': 'the contract for Jane',
    });
    expect(span.attributes).toMatchObject({
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [C.ATTR_GEN_AI_REQUEST_MODEL]: 'claude-sonnet-4-5-20250929',
      [C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]: 30,
      [C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 40,
      [C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 5,
    });
    // cache_creation was renamed cache_write: every older spelling is stored as cache_write, never as itself
    for (const key of [
      'gen_ai.usage.cache_write.input_tokens',
      'gen_ai.usage.cache_creation.input_tokens',
      'gen_ai.usage.cache_write_input_tokens',
    ]) {
      const s = exportOne('chat claude-sonnet-4-5', { 'gen_ai.operation.name': 'chat', [key]: 12 });
      expect([key, s.attributes[C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]]).toEqual([key, 12]);
      expect(s.attributes[C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]).toBeUndefined();
      const phone = exportOne('chat x', { 'gen_ai.operation.name': 'chat', [key]: 4155550199 });
      expect(phone.attributes[C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]).toBeUndefined();
    }
  });

  it('names workflows, agents and tools from traceloop.entity.name and traceloop.workflow.name', () => {
    // as traceloop-sdk's withWorkflow / withAgent / withTool write them
    const workflow = exportOne('support_flow.workflow', {
      'traceloop.workflow.name': 'support_flow',
      'traceloop.entity.name': 'support_flow',
      'traceloop.entity.path': '',
      'traceloop.span.kind': 'workflow',
      'traceloop.entity.input': '{"args":["jane@example.com"]}',
    });
    expect(workflow.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_workflow',
      [C.ATTR_GEN_AI_AGENT_NAME]: 'support_flow',
    });
    const agent = exportOne('planner.agent', {
      'traceloop.workflow.name': 'planner',
      'traceloop.entity.name': 'planner',
      'traceloop.span.kind': 'agent',
      'gen_ai.agent.name': 'planner',
    });
    expect(agent.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [C.ATTR_GEN_AI_AGENT_NAME]: 'planner',
    });
    const tool = exportOne('lookup.tool', {
      'traceloop.workflow.name': 'planner',
      'traceloop.entity.name': 'lookup',
      'traceloop.entity.path': 'planner',
      'traceloop.span.kind': 'tool',
      'traceloop.entity.output': '{"address":"1 Main St"}',
    });
    expect(tool.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
      [C.ATTR_GEN_AI_TOOL_NAME]: 'lookup',
      [C.ATTR_GEN_AI_AGENT_NAME]: 'planner',
    });
    expect(JSON.stringify(tool.attributes)).not.toContain('Main St');
    // an LLM span inside the workflow carries the workflow's name as its agent
    const llm = exportOne('chat gpt-4o', {
      'gen_ai.operation.name': 'chat',
      'traceloop.workflow.name': 'support_flow',
      'traceloop.entity.path': 'support_flow',
    });
    expect(llm.attributes[C.ATTR_GEN_AI_AGENT_NAME]).toBe('support_flow');
  });

  it('drops entity and workflow names that are personal data', () => {
    for (const bad of ['jane@example.com', 'Jane Doe', 'tool-4155550199', 'Sm9obiBTbWl0aA']) {
      const tool = exportOne('x.tool', {
        'traceloop.entity.name': bad,
        'traceloop.span.kind': 'tool',
        'traceloop.workflow.name': bad,
      });
      expect([bad, tool.attributes[C.ATTR_GEN_AI_TOOL_NAME]]).toEqual([bad, undefined]);
      expect([bad, tool.attributes[C.ATTR_GEN_AI_AGENT_NAME]]).toEqual([bad, undefined]);
    }
  });
});

describe('Vercel AI SDK', () => {
  it('makes an ai.embed root a run, its doEmbed an embeddings step with its tokens', () => {
    const p = createPipeline();
    const tracer = p.provider.getTracer('ai');
    tracer.startActiveSpan(
      'ai.embed',
      {
        attributes: {
          'operation.name': 'ai.embed search_index',
          'ai.operationId': 'ai.embed',
          'ai.telemetry.functionId': 'search_index',
          'ai.model.id': 'text-embedding-3-small',
          'ai.model.provider': 'openai.embedding',
          'ai.value': '"where does Jane live?"',
        },
      },
      (root) => {
        tracer
          .startSpan('ai.embed.doEmbed', {
            attributes: {
              'ai.operationId': 'ai.embed.doEmbed',
              'ai.model.id': 'text-embedding-3-small',
              'ai.model.provider': 'openai.embedding',
              'ai.values': ['"where does Jane live?"'],
              'ai.embeddings': ['[0.1,0.2]'],
              'ai.usage.tokens': 6,
            },
          })
          .end();
        root.setAttribute('ai.embedding', '[0.1,0.2]');
        root.setAttribute('ai.usage.tokens', 6);
        root.end();
      },
    );
    const root = p.byName('ai.embed');
    const step = p.byName('ai.embed.doEmbed');
    expect(root.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [C.ATTR_GEN_AI_AGENT_NAME]: 'search_index',
    });
    expect(step.attributes).toMatchObject({
      [C.ATTR_GEN_AI_OPERATION_NAME]: 'embeddings',
      [C.ATTR_GEN_AI_REQUEST_MODEL]: 'text-embedding-3-small',
      [C.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 6,
    });
    expect(JSON.stringify(p.spans().map((s) => s.attributes))).not.toContain('Jane');
  });

  it('does not make an ai.embed inside another span a run of its own', () => {
    const p = createPipeline();
    const tracer = p.provider.getTracer('ai');
    tracer.startActiveSpan(
      'ai.toolCall',
      { attributes: { 'ai.operationId': 'ai.toolCall' } },
      (tool) => {
        tracer.startSpan('ai.embed', { attributes: { 'ai.operationId': 'ai.embed' } }).end();
        tool.end();
      },
    );
    expect(p.byName('ai.embed').attributes[C.ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
  });

  it('classifies a 429 the AI SDK reports only in its messages as rate_limited, keeping no message', () => {
    const p = createPipeline();
    const tracer = p.provider.getTracer('ai');
    const message =
      'Rate limit reached for gpt-4o-mini in organization org-jane on requests per min (RPM): Limit 3, Used 3, Requested 1.';
    tracer.startActiveSpan(
      'ai.generateText',
      { attributes: { 'ai.operationId': 'ai.generateText' } },
      (run) => {
        const step = tracer.startSpan('ai.generateText.doGenerate', {
          attributes: {
            'ai.operationId': 'ai.generateText.doGenerate',
            'ai.model.id': 'gpt-4o-mini',
          },
        });
        // as the ai package's recordErrorOnSpan does
        step.recordException({
          name: 'AI_APICallError',
          message,
          stack: `AI_APICallError: ${message}`,
        });
        step.setStatus({ code: SpanStatusCode.ERROR, message });
        step.end();
        const last = `Failed after 3 attempts. Last error: ${message}`;
        run.recordException({ name: 'AI_RetryError', message: last });
        run.setStatus({ code: SpanStatusCode.ERROR, message: last });
        run.end();
      },
    );
    for (const name of ['ai.generateText', 'ai.generateText.doGenerate']) {
      const span = p.byName(name);
      expect([name, span.attributes[C.ATTR_FAILURE_CODE]]).toEqual([name, 'rate_limited']);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(JSON.stringify(span.events)).not.toContain('org-jane');
    }
  });

  it('leaves other AI SDK errors to the views (no code from an unrelated message)', () => {
    const p = createPipeline();
    const span = p.provider.getTracer('ai').startSpan('ai.generateText.doGenerate', {
      attributes: { 'ai.operationId': 'ai.generateText.doGenerate' },
    });
    span.recordException({ name: 'AI_APICallError', message: 'Invalid API key for jane' });
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    expect(p.spans()[0]!.attributes[C.ATTR_FAILURE_CODE]).toBeUndefined();
  });
});

describe('the same model call seen twice', () => {
  function nested(outer: Attributes, inner: Attributes, setLater: Attributes = {}) {
    const p = createPipeline();
    const tracer = p.provider.getTracer('x');
    let outerId = '';
    tracer.startActiveSpan('outer', { attributes: outer }, (o) => {
      outerId = o.spanContext().spanId;
      tracer.startSpan('inner', { attributes: inner }).end();
      o.setAttributes(setLater);
      o.end();
    });
    return { outerId, outer: p.byName('outer'), inner: p.byName('inner') };
  }

  it('marks a provider span inside a framework model span with the outer span id', () => {
    // OpenInference LangChain LLM span (model set at its end) around OpenLLMetry's openai span
    const r = nested(
      { 'openinference.span.kind': 'LLM' },
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 10,
      },
      { 'llm.model_name': 'gpt-4o-mini' },
    );
    expect(r.inner.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBe(r.outerId);
    expect(r.outer.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBeUndefined();
    const same = nested(
      { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'claude-sonnet-4-5' },
      { 'gen_ai.operation.name': 'chat', 'gen_ai.response.model': 'claude-sonnet-4-5-20250929' },
    );
    expect(same.inner.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBe(same.outerId);
  });

  it('does not mark a model span under a different model, or under a span that is no model call', () => {
    const other = nested(
      { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
      { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-haiku-4-5' },
    );
    expect(other.inner.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBeUndefined();
    const agent = nested(
      { 'openinference.span.kind': 'AGENT' },
      { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
    );
    expect(agent.inner.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBeUndefined();
    const tool = nested(
      { 'gen_ai.operation.name': 'chat' },
      { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' },
    );
    expect(tool.inner.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBeUndefined();
  });

  it('never takes the mark from the span itself: a written agenttrace.step.duplicate_of must be an id that is no text', () => {
    const hexText = Buffer.from('jane.doe@mail.co').toString('hex');
    const span = exportOne('chat gpt-4o', {
      'gen_ai.operation.name': 'chat',
      [C.ATTR_STEP_DUPLICATE_OF]: hexText,
    });
    expect(span.attributes[C.ATTR_STEP_DUPLICATE_OF]).toBeUndefined();
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
