/**
 * A LangChain.js callback handler that traces chains, chat models, tools and
 * retrievers as agenttrace runs and steps. Inputs, prompts, messages, tool
 * arguments, outputs and documents are never read; only names, model and
 * provider labels, token counts, document counts and errors are.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { LLMResult } from '@langchain/core/outputs';
import type { AgentTracer, Run, Step } from '@agenttrace/sdk';

interface Open {
  run: Run;
  /** Set when this LangChain run is a step; undefined for chains. */
  step?: Step;
  /** Whether this LangChain run opened the agenttrace run (and so ends it). */
  owner: boolean;
}

type Metadata = Record<string, unknown> | undefined;

function nameOf(
  serialized: Serialized | undefined,
  runName: string | undefined,
  fallback: string,
): string {
  const id = serialized?.id;
  return runName ?? (Array.isArray(id) ? String(id[id.length - 1]) : undefined) ?? fallback;
}

function label(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** Token usage from an LLM result: `llmOutput.tokenUsage`, else the first message's `usage_metadata`. */
function usageOf(output: LLMResult): {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
} {
  const tu = (output.llmOutput as { tokenUsage?: Record<string, unknown> } | undefined)?.tokenUsage;
  if (tu) return { inputTokens: count(tu.promptTokens), outputTokens: count(tu.completionTokens) };
  const message = (
    output.generations[0]?.[0] as
      { message?: { usage_metadata?: Record<string, unknown> } } | undefined
  )?.message;
  const um = message?.usage_metadata;
  if (!um) return {};
  const details = um.input_token_details as Record<string, unknown> | undefined;
  return {
    inputTokens: count(um.input_tokens),
    outputTokens: count(um.output_tokens),
    cachedInputTokens: count(details?.cache_read),
  };
}

/**
 * Traces LangChain.js runs into `tracer`: the outermost chain (or a model or
 * tool called on its own) is a run; chat models, LLMs, tools and retrievers
 * inside it are steps.
 *
 * @example
 * const handler = new AgentTraceCallbackHandler(new AgentTracer({ agentName: 'rag', tracerProvider }));
 * await chain.invoke(input, { callbacks: [handler] });
 */
export class AgentTraceCallbackHandler extends BaseCallbackHandler {
  override name = 'agenttrace';
  override awaitHandlers = true;
  private readonly open = new Map<string, Open>();

  constructor(private readonly tracer: AgentTracer) {
    super();
  }

  private parentOf(parentRunId: string | undefined): Run | undefined {
    return parentRunId === undefined ? undefined : this.open.get(parentRunId)?.run;
  }

  private startStep(
    type: 'model' | 'tool' | 'retrieve',
    name: string,
    runId: string,
    parentRunId: string | undefined,
    options: { model?: string; provider?: string } = {},
  ): void {
    const parent = this.parentOf(parentRunId);
    const run = parent ?? this.tracer.startRun();
    this.open.set(runId, {
      run,
      step: run.startStep(type, name, options),
      owner: parent === undefined,
    });
  }

  private endStep(runId: string, error?: unknown, before?: (step: Step) => void): void {
    const open = this.open.get(runId);
    if (!open?.step) return;
    this.open.delete(runId);
    if (before && error === undefined) before(open.step);
    open.run.endStep(open.step, error);
    if (open.owner) open.run.end(error);
  }

  override handleChainStart(
    _chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
  ): void {
    const parent = this.parentOf(parentRunId);
    this.open.set(runId, { run: parent ?? this.tracer.startRun(), owner: parent === undefined });
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    const open = this.open.get(runId);
    this.open.delete(runId);
    if (open?.owner) open.run.end();
  }

  override handleChainError(err: unknown, runId: string): void {
    const open = this.open.get(runId);
    this.open.delete(runId);
    if (open?.owner) open.run.end(err ?? new Error('chain failed'));
  }

  override handleChatModelStart(
    llm: Serialized,
    _messages: unknown,
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    _tags?: string[],
    metadata?: Metadata,
    runName?: string,
  ): void {
    this.handleLLMStart(
      llm,
      [],
      runId,
      parentRunId,
      _extra as Record<string, unknown>,
      _tags,
      metadata,
      runName,
    );
  }

  override handleLLMStart(
    llm: Serialized,
    _prompts: string[],
    runId: string,
    parentRunId?: string,
    _extra?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Metadata,
    runName?: string,
  ): void {
    const model = label(metadata?.ls_model_name);
    this.startStep('model', model ?? nameOf(llm, runName, 'llm'), runId, parentRunId, {
      model,
      provider: label(metadata?.ls_provider),
    });
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    this.endStep(runId, undefined, (step) => step.setUsage(usageOf(output)));
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.endStep(runId, err ?? new Error('llm failed'));
  }

  override handleToolStart(
    tool: Serialized,
    _input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Metadata,
    runName?: string,
  ): void {
    this.startStep('tool', nameOf(tool, runName, 'tool'), runId, parentRunId);
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.endStep(runId);
  }

  override handleToolError(err: unknown, runId: string): void {
    this.endStep(runId, err ?? new Error('tool failed'));
  }

  override handleRetrieverStart(
    retriever: Serialized,
    _query: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Metadata,
    name?: string,
  ): void {
    this.startStep('retrieve', nameOf(retriever, name, 'retriever'), runId, parentRunId);
  }

  override handleRetrieverEnd(documents: unknown[], runId: string): void {
    this.endStep(runId, undefined, (step) => step.setMetadata({ result_count: documents.length }));
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.endStep(runId, err ?? new Error('retriever failed'));
  }
}
