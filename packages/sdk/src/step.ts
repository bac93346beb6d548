/**
 * One step of a run, as a child span: plan, retrieve, tool, model, respond or
 * other. A step records names, counts and timings, never content.
 */
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as C from './conventions.js';
import { classifyError, assertFailure, type ClassifiedError, type Failure } from './failure.js';
import { metadataAttributes, type Metadata } from './metadata.js';

/** Token counts of a model call. Every field is a non-negative integer. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (`gen_ai.usage.cache_write.input_tokens`). */
  cacheWriteInputTokens?: number;
  /**
   * The earlier name of `cacheWriteInputTokens`, still accepted: written
   * under the same `cache_write` key (`cacheWriteInputTokens` wins when both are given).
   * @deprecated use `cacheWriteInputTokens`
   */
  cacheCreationInputTokens?: number;
  reasoningTokens?: number;
}

/** `value` when it is a non-negative integer; else a `TypeError` naming the usage field. */
function count(field: keyof Usage, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new TypeError(`usage.${field} must be a non-negative integer (got ${String(value)})`);
  return value;
}

/** A transfer of work or control to another agent: a handoff (`gen_ai.transfer.*`). */
export interface Transfer {
  /** The agent handed to (`gen_ai.transfer.target.name`): a label. */
  target: string;
  /** Whether this agent waits and resumes, or hands over the rest. @default 'pass_control' */
  mode?: C.TransferMode;
}

/** Options of a step. All optional. */
export interface StepOptions {
  /** Requested model, for model steps (`gen_ai.request.model`). */
  model?: string;
  /** Provider, for model steps (`gen_ai.provider.name`), e.g. `openai`. */
  provider?: string;
  /** Tool name for tool steps. @default the step name */
  tool?: string;
  /** Data source id for retrieve steps (`gen_ai.data_source.id`); names the span `retrieval {dataSource}`. */
  dataSource?: string;
  /** The provider's id of the tool call a tool step runs (`gen_ai.tool.call.id`), e.g. `call_…`. */
  toolCallId?: string;
  /** Makes a tool step a handoff to another agent; see `Run.handoff`. */
  transfer?: Transfer;
  /** 1-based attempt number when the step is retried. */
  attempt?: number;
  /** Attempts allowed in all. */
  maxAttempts?: number;
  /** Safe metadata: numbers, booleans and declared labels. */
  metadata?: Metadata;
}

/** A step being traced. Ends when its callback returns, throws or rejects. */
export class Step {
  private chunks = 0;
  private failure: ClassifiedError | undefined;

  /** @internal Created by `Run.step`. */
  constructor(
    /** The underlying OTel span, for advanced use. */
    readonly span: Span,
    readonly type: C.StepType,
    readonly name: string,
  ) {}

  /** Adds safe metadata (`agenttrace.meta.<key>`); the allowlist decides what is kept. */
  setMetadata(metadata: Metadata): this {
    this.span.setAttributes(metadataAttributes(metadata));
    return this;
  }

  /** Records token usage. Throws a `TypeError` naming the field for a bad count. */
  setUsage(usage: Usage): this {
    // checked and collected in one pass, set in one call: nothing is set when a count is bad;
    // each field read by name (a table of field names would make every read a megamorphic keyed load)
    const attributes: Attributes = {};
    const input = usage.inputTokens;
    if (input !== undefined)
      attributes[C.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = count('inputTokens', input);
    const output = usage.outputTokens;
    if (output !== undefined)
      attributes[C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = count('outputTokens', output);
    const cached = usage.cachedInputTokens;
    if (cached !== undefined)
      attributes[C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = count('cachedInputTokens', cached);
    // the earlier name first, so `cacheWriteInputTokens` wins when both are given
    const creation = usage.cacheCreationInputTokens;
    if (creation !== undefined)
      attributes[C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] = count(
        'cacheCreationInputTokens',
        creation,
      );
    const write = usage.cacheWriteInputTokens;
    if (write !== undefined)
      attributes[C.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] = count(
        'cacheWriteInputTokens',
        write,
      );
    const reasoning = usage.reasoningTokens;
    if (reasoning !== undefined)
      attributes[C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = count('reasoningTokens', reasoning);
    this.span.setAttributes(attributes);
    return this;
  }

  /**
   * Records the model that answered (`gen_ai.response.model`), the
   * provider's response id (`gen_ai.response.id`, which evaluation events
   * can reference) and finish reasons.
   */
  setResponse(response: { model?: string; id?: string; finishReasons?: string[] }): this {
    const attributes: Attributes = {};
    if (response.model !== undefined) attributes[C.ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
    if (response.id !== undefined) attributes[C.ATTR_GEN_AI_RESPONSE_ID] = response.id;
    if (response.finishReasons)
      attributes[C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = response.finishReasons;
    this.span.setAttributes(attributes);
    return this;
  }

  /** Records an HTTP status the step got (`http.response.status_code`). */
  setHttpStatus(status: number): this {
    this.span.setAttribute(C.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    return this;
  }

  /**
   * Marks one streamed chunk. The first sets time to first chunk
   * (`gen_ai.response.time_to_first_chunk`, seconds); the count is written at end.
   */
  chunk(): void {
    if (this.chunks === 0) {
      this.span.setAttribute(C.ATTR_GEN_AI_REQUEST_STREAM, true);
      // The SDK's spans carry their start time; reading it spares every step a clock read.
      const start = (this.span as Partial<ReadableSpan>).startTime;
      if (start) {
        const nowSeconds = (performance.timeOrigin + performance.now()) / 1000;
        const ttfc = Math.max(0, nowSeconds - (start[0] + start[1] / 1e9));
        this.span.setAttribute(C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc);
      }
    }
    this.chunks++;
  }

  /**
   * Passes a stream through, marking each chunk. Chunks are not looked at.
   *
   * @example
   * for await (const part of step.trackStream(provider.stream(request))) ui.write(part);
   */
  async *trackStream<T>(stream: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
    for await (const part of stream) {
      this.chunk();
      yield part;
    }
  }

  /**
   * Marks the step failed with an explicit classification, without throwing.
   * Throws a `TypeError` naming the field for a malformed failure.
   */
  recordFailure(failure: Omit<Failure, 'step'>): this {
    assertFailure(failure);
    this.fail({ ...failure, step: this.name, errorType: failure.code });
    return this;
  }

  /** The failure recorded on this step, if any. */
  get failed(): ClassifiedError | undefined {
    return this.failure;
  }

  /** @internal Marks the step failed from an error that escaped it. */
  failWith(err: unknown): ClassifiedError {
    const failure = classifyError(err, this.type, this.name);
    this.fail(failure);
    return failure;
  }

  private fail(failure: ClassifiedError): void {
    this.failure ??= failure;
    const attributes: Attributes = {
      [C.ATTR_FAILURE_TYPE]: failure.type,
      [C.ATTR_FAILURE_CODE]: failure.code,
      [C.ATTR_ERROR_TYPE]: failure.errorType,
    };
    if (failure.httpStatus !== undefined)
      attributes[C.ATTR_HTTP_RESPONSE_STATUS_CODE] = failure.httpStatus;
    this.span.setAttributes(attributes);
    this.span.addEvent('exception', { [C.ATTR_EXCEPTION_TYPE]: failure.errorType });
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: failure.code });
  }

  /** @internal Ends the span. */
  end(): void {
    if (this.chunks > 0) this.span.setAttribute(C.ATTR_STREAM_CHUNKS, this.chunks);
    this.span.end();
  }
}
