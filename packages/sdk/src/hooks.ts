/**
 * Adapter for agent frameworks with event hooks (on_llm_start/end,
 * on_tool_start/end): each start/end pair becomes a step. Messages, tool
 * arguments and results are accepted and ignored; only names, the model and
 * token counts are read.
 */
import type { Run } from './run.js';
import type { Step } from './step.js';

/** The parts of an LLM response the adapter reads: model and token usage. */
export interface LlmResponseLike {
  model?: string;
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    input_tokens?: number;
    output_tokens?: number;
    cached_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  };
}

/** Hook callbacks to hand to an agent framework. */
export interface AgentHooks {
  onLlmStart(messages: unknown, info?: { model?: string; provider?: string }): void;
  onLlmEnd(response: LlmResponseLike): void;
  onLlmError(error: unknown): void;
  onToolStart(toolName: string, args: unknown): void;
  onToolEnd(toolName: string, result: unknown): void;
  onToolError(toolName: string, error: unknown): void;
}

/** Defaults for the model steps the hooks create. */
export interface AgentHooksOptions {
  model?: string;
  provider?: string;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Creates hooks that trace into `run`. Concurrent calls of the same tool are
 * paired first-in, first-out.
 *
 * @example
 * await tracer.run((run) => agent.run(task, { hooks: createAgentHooks(run, { provider: 'openai' }) }));
 */
export function createAgentHooks(run: Run, options: AgentHooksOptions = {}): AgentHooks {
  const llmSteps: Step[] = [];
  const toolSteps = new Map<string, Step[]>();
  const takeTool = (name: string) => toolSteps.get(name)?.shift();
  return {
    onLlmStart(_messages, info = {}) {
      const model = info.model ?? options.model;
      const provider = info.provider ?? options.provider;
      llmSteps.push(run.startStep('model', model ?? 'llm', { model, provider }));
    },
    onLlmEnd(response) {
      const step = llmSteps.shift();
      if (!step) return;
      const u = response?.usage;
      step.setUsage({
        inputTokens: count(u?.prompt_tokens ?? u?.input_tokens),
        outputTokens: count(u?.completion_tokens ?? u?.output_tokens),
        cachedInputTokens: count(u?.prompt_tokens_details?.cached_tokens ?? u?.cached_tokens),
      });
      if (typeof response?.model === 'string') step.setResponse({ model: response.model });
      run.endStep(step);
    },
    onLlmError(error) {
      const step = llmSteps.shift();
      if (step) run.endStep(step, error);
    },
    onToolStart(toolName) {
      const queue = toolSteps.get(toolName) ?? [];
      queue.push(run.startStep('tool', toolName));
      toolSteps.set(toolName, queue);
    },
    onToolEnd(toolName) {
      const step = takeTool(toolName);
      if (step) run.endStep(step);
    },
    onToolError(toolName, error) {
      const step = takeTool(toolName);
      if (step) run.endStep(step, error);
    },
  };
}
