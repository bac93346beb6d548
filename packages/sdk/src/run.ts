/**
 * One agent run: an `invoke_agent` span whose children are its steps. A run
 * ends as success, failure or partial, with its classified failures.
 */
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { PARALLEL_ORIGIN_KEY, RUN_KEY } from './context-keys.js';
import * as C from './conventions.js';
import { assertFailure, classifyError, type Failure } from './failure.js';
import { isPromiseLike } from './is-promise-like.js';
import { metadataAttributes, type Metadata } from './metadata.js';
import { isSafeLabel } from './privacy/sensitive.js';
import { retryStep, type RetryOptions } from './retry.js';
import { Step, type StepOptions, type Transfer } from './step.js';

/** What identifies a finished run, for feedback and forks. Safe to store and pass around. */
export interface RunRef {
  readonly runId: string;
  readonly traceId: string;
  readonly spanId: string;
}

/** @internal What a run needs from its tracer to start forks. */
export interface RunHost {
  readonly tracer: Tracer;
  forkRun<T>(origin: Run, fn: (run: Run) => T): T;
}

const TRANSFER_MODES: ReadonlySet<string> = new Set(C.TRANSFER_MODES);

const SPAN_NAME_PREFIX: Readonly<Record<C.StepType, string>> = {
  plan: C.OPERATION.plan,
  retrieve: C.OPERATION.retrieval,
  tool: C.OPERATION.executeTool,
  model: C.OPERATION.chat,
  respond: 'respond',
  other: 'other',
};
/**
 * Span kind per step type: inference and retrieval are calls out of the
 * process (CLIENT in the GenAI conventions), the rest runs in it.
 */
const SPAN_KIND: Readonly<Record<C.StepType, SpanKind>> = {
  plan: SpanKind.INTERNAL,
  retrieve: SpanKind.CLIENT,
  tool: SpanKind.INTERNAL,
  model: SpanKind.CLIENT,
  respond: SpanKind.INTERNAL,
  other: SpanKind.INTERNAL,
};
const SPAN_NAMES_MAX = 1024;

/** What a step's type decides, looked up once per step. */
interface StepTypeInfo {
  readonly kind: SpanKind;
  readonly prefix: string;
  /** `gen_ai.operation.name`, where the conventions have one. */
  readonly operation: string | undefined;
  /** Span names by subject: the same string object each time, so its hash is computed once. */
  readonly names: Map<string, string>;
}

/** Every step type's facts: one Map lookup validates the type and finds them. */
const STEP_TYPE_INFO: ReadonlyMap<string, StepTypeInfo> = new Map(
  C.STEP_TYPES.map((type): [string, StepTypeInfo] => [
    type,
    {
      kind: SPAN_KIND[type],
      prefix: SPAN_NAME_PREFIX[type],
      operation: C.STEP_OPERATION[type],
      names: new Map<string, string>(),
    },
  ]),
);

/**
 * The span name the GenAI conventions give each step: `chat {model}`,
 * `execute_tool {tool}` (`execute_tool {tool} {target}` for a handoff),
 * `retrieval {data source}`, `plan {agent}`; the step name where the
 * conventions' subject is not known.
 */
function stepSpanName(
  info: StepTypeInfo,
  type: C.StepType,
  name: string,
  agentName: string,
  options: StepOptions | undefined,
): string {
  let subject: string;
  if (type === 'model') subject = options?.model ?? name;
  else if (type === 'tool') {
    subject = options?.tool ?? name;
    if (options?.transfer !== undefined) subject = `${subject} ${options.transfer.target}`;
  } else if (type === 'retrieve') subject = options?.dataSource ?? name;
  else if (type === 'plan') subject = agentName;
  else subject = name;
  const byType = info.names;
  let spanName = byType.get(subject);
  if (spanName === undefined) {
    spanName = `${info.prefix} ${subject}`;
    if (byType.size >= SPAN_NAMES_MAX) byType.clear();
    byType.set(subject, spanName);
  }
  return spanName;
}

/** Throws a `TypeError` naming the field for a malformed transfer. */
function assertTransfer(t: Transfer): void {
  if (typeof t !== 'object' || t === null)
    throw new TypeError(`transfer must be an object (got ${String(t)})`);
  if (typeof t.target !== 'string' || !isSafeLabel(t.target))
    throw new TypeError(
      `transfer.target must be an agent name: a label of letters, digits and _.:/@- up to 128 characters (got ${JSON.stringify(t.target)})`,
    );
  if (t.mode !== undefined && !TRANSFER_MODES.has(t.mode))
    throw new TypeError(
      `transfer.mode must be one of ${C.TRANSFER_MODES.join(', ')} (got ${JSON.stringify(t.mode)})`,
    );
}

/** Options of `Run.handoff`. All optional. */
export interface HandoffOptions {
  /** Whether this agent waits for the target and resumes, or hands over the rest. @default 'pass_control' */
  mode?: C.TransferMode;
  /** Name of the tool that performs the handoff (`gen_ai.tool.name`). @default 'handoff' */
  tool?: string;
  /** The provider's id of the tool call, when a model asked for the handoff. */
  toolCallId?: string;
  /** Safe metadata: numbers, booleans and declared labels. */
  metadata?: Metadata;
}

/** What every step of a run carries, so step rows group by agent without a join. */
export interface RunIdentity {
  readonly agentName: string;
  readonly agentVersion: string | undefined;
  readonly variant: string | undefined;
}

function stepAttributes(
  runId: string,
  seq: number,
  who: RunIdentity,
  type: C.StepType,
  op: string | undefined,
  name: string,
  o: StepOptions | undefined,
): Attributes {
  const a: Attributes = {
    [C.ATTR_RUN_ID]: runId,
    [C.ATTR_GEN_AI_AGENT_NAME]: who.agentName,
    [C.ATTR_STEP_TYPE]: type,
    [C.ATTR_STEP_NAME]: name,
    [C.ATTR_STEP_SEQ]: seq,
  };
  if (who.agentVersion !== undefined) a[C.ATTR_GEN_AI_AGENT_VERSION] = who.agentVersion;
  if (who.variant !== undefined) a[C.ATTR_VARIANT] = who.variant;
  if (op !== undefined) a[C.ATTR_GEN_AI_OPERATION_NAME] = op;
  if (type === 'tool') a[C.ATTR_GEN_AI_TOOL_NAME] = o?.tool ?? name;
  if (o === undefined) return a;
  if (o.model !== undefined) a[C.ATTR_GEN_AI_REQUEST_MODEL] = o.model;
  if (o.provider !== undefined) a[C.ATTR_GEN_AI_PROVIDER_NAME] = o.provider;
  if (o.dataSource !== undefined) a[C.ATTR_GEN_AI_DATA_SOURCE_ID] = o.dataSource;
  if (o.toolCallId !== undefined) a[C.ATTR_GEN_AI_TOOL_CALL_ID] = o.toolCallId;
  if (o.transfer !== undefined) {
    a[C.ATTR_GEN_AI_TRANSFER_MODE] = o.transfer.mode ?? 'pass_control';
    a[C.ATTR_GEN_AI_TRANSFER_TARGET_NAME] = o.transfer.target;
  }
  if (o.attempt !== undefined) a[C.ATTR_STEP_ATTEMPT] = o.attempt;
  if (o.maxAttempts !== undefined) a[C.ATTR_STEP_MAX_ATTEMPTS] = o.maxAttempts;
  if (o.metadata !== undefined) Object.assign(a, metadataAttributes(o.metadata));
  return a;
}

/** A run being traced. Created by `AgentTracer.run`; ends when its callback settles. */
export class Run {
  private explicitStatus: C.RunStatus | undefined;
  private failures: Failure[] | undefined;
  private ended = false;
  private stepCount = 0;
  /** Steps that failed and were not superseded by a successful retry. */
  private handledStepFailures = 0;

  /** @internal The context the run's callback executes in. */
  readonly context: Context;

  /** @internal Created by `AgentTracer`. */
  constructor(
    private readonly host: RunHost,
    /** The underlying OTel span, for advanced use. */
    readonly span: Span,
    /** A random UUID naming this run (`agenttrace.run.id`). */
    readonly id: string,
    parent: Context,
    private readonly identity: RunIdentity,
  ) {
    this.context = trace.setSpan(parent, span).setValue(RUN_KEY, this);
  }

  /** @internal The agent this run is of: the caller of runs it starts. */
  get agentName(): string {
    return this.identity.agentName;
  }

  /** Identifies this run for `recordFeedback` and links. */
  get ref(): RunRef {
    const ctx = this.span.spanContext();
    return { runId: this.id, traceId: ctx.traceId, spanId: ctx.spanId };
  }

  /**
   * Traces one step. `fn` may be sync or async; the step ends when it
   * returns, throws or rejects, and a thrown error is classified and rethrown.
   *
   * @example
   * const docs = await run.step('retrieve', 'search_kb', async (step) => {
   *   const hits = await kb.search(query);
   *   step.setMetadata({ result_count: hits.length });
   *   return hits;
   * });
   */
  step<T>(type: C.StepType, name: string, fn: (step: Step) => T): T;
  step<T>(type: C.StepType, name: string, options: StepOptions, fn: (step: Step) => T): T;
  step<T>(
    type: C.StepType,
    name: string,
    a: StepOptions | ((step: Step) => T),
    b?: (step: Step) => T,
  ): T {
    const options = typeof a === 'function' ? undefined : a;
    const fn = typeof a === 'function' ? a : b;
    if (typeof fn !== 'function')
      throw new TypeError(`run.step fn must be a function (got ${typeof fn})`);
    const parent = this.stepParentContext();
    const step = this.startStepIn(parent, type, name, options);
    let result: T;
    try {
      result = context.with(trace.setSpan(parent, step.span), fn, undefined, step);
    } catch (err) {
      this.endStep(step, err);
      throw err;
    }
    if (!isPromiseLike(result)) {
      this.endStep(step);
      return result;
    }
    return settle(result, this, step) as T;
  }

  /**
   * Starts a step that the caller ends with `endStep`, for event-hook style
   * code where start and end happen in different callbacks.
   */
  startStep(type: C.StepType, name: string, options?: StepOptions): Step {
    return this.startStepIn(this.stepParentContext(), type, name, options);
  }

  private startStepIn(
    parent: Context,
    type: C.StepType,
    name: string,
    options: StepOptions | undefined,
  ): Step {
    const info = STEP_TYPE_INFO.get(type);
    if (info === undefined)
      throw new TypeError(
        `step type must be one of ${C.STEP_TYPES.join(', ')} (got ${JSON.stringify(type)})`,
      );
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError(`step name must be a non-empty string (got ${JSON.stringify(name)})`);
    if (options?.transfer !== undefined) assertTransfer(options.transfer);
    const span = this.host.tracer.startSpan(
      stepSpanName(info, type, name, this.identity.agentName, options),
      {
        kind: info.kind,
        attributes: stepAttributes(
          this.id,
          ++this.stepCount,
          this.identity,
          type,
          info.operation,
          name,
          options,
        ),
      },
      parent,
    );
    return new Step(span, type, name);
  }

  /**
   * Hands work or control to another agent: a tool step carrying the GenAI
   * conventions' transfer attributes (`gen_ai.transfer.mode`,
   * `gen_ai.transfer.target.name`), named `execute_tool handoff {target}`.
   * A run the target starts inside `fn` is nested under it and names this
   * run's agent as its caller. Views list it in `agent_handoffs`.
   *
   * @example
   * await run.handoff('billing_agent', async () =>
   *   billing.run(async (b) => answerBilling(b, question)),
   * );
   */
  handoff<T>(target: string, fn: (step: Step) => T): T;
  handoff<T>(target: string, options: HandoffOptions, fn: (step: Step) => T): T;
  handoff<T>(target: string, a: HandoffOptions | ((step: Step) => T), b?: (step: Step) => T): T {
    const o = typeof a === 'function' ? {} : a;
    const fn = typeof a === 'function' ? a : b;
    if (typeof fn !== 'function')
      throw new TypeError(`run.handoff fn must be a function (got ${typeof fn})`);
    const tool = o.tool ?? 'handoff';
    const options: StepOptions = {
      tool,
      transfer: { target, mode: o.mode ?? 'pass_control' },
    };
    if (o.toolCallId !== undefined) options.toolCallId = o.toolCallId;
    if (o.metadata !== undefined) options.metadata = o.metadata;
    return this.step('tool', tool, options, fn);
  }

  /** Ends a step from `startStep`, failed when `error` is given. */
  endStep(step: Step, error?: unknown): void {
    if (error !== undefined) step.failWith(error);
    if (step.failed) this.noteStepFailures(1);
    step.end();
  }

  /**
   * Runs `fn` up to `attempts` times with exponential backoff and jitter,
   * each attempt its own step span carrying its attempt number. Rethrows the
   * last error when every attempt failed.
   */
  retry<T>(
    type: C.StepType,
    name: string,
    options: RetryOptions,
    fn: (step: Step, attempt: number) => Promise<T>,
  ): Promise<T> {
    return retryStep(this, type, name, options, fn);
  }

  /**
   * Records a classified failure; the run ends as `failure` unless
   * `setStatus` says otherwise. Throws a `TypeError` for a malformed failure.
   */
  recordFailure(failure: Failure): void {
    assertFailure(failure);
    (this.failures ??= []).push(failure);
    const attributes: Attributes = {
      [C.ATTR_FAILURE_TYPE]: failure.type,
      [C.ATTR_FAILURE_CODE]: failure.code,
    };
    if (failure.step !== undefined) attributes[C.ATTR_FAILURE_STEP] = failure.step;
    this.span.addEvent(C.EVENT_FAILURE, attributes);
  }

  /** Sets the run's outcome explicitly. */
  setStatus(status: C.RunStatus): void {
    if (!(C.RUN_STATUSES as readonly string[]).includes(status))
      throw new TypeError(
        `run status must be one of ${C.RUN_STATUSES.join(', ')} (got ${JSON.stringify(status)})`,
      );
    this.explicitStatus = status;
  }

  /** Adds safe metadata to the run span. */
  setMetadata(metadata: Metadata): void {
    this.span.setAttributes(metadataAttributes(metadata));
  }

  /**
   * Starts a fork: a new run in a trace of its own, linked to this one, as
   * when a conversation is copied to explore another path.
   */
  fork<T>(fn: (run: Run) => T): T {
    return this.host.forkRun(this, fn);
  }

  /**
   * Runs branches concurrently. A run started directly inside a branch is a
   * `parallel` run linked to this one. Failed branches do not reject: they
   * make this run `partial` and come back as rejected results.
   */
  async parallel<T>(branches: ReadonlyArray<() => Promise<T>>): Promise<PromiseSettledResult<T>[]> {
    const ctx = this.stepParentContext().setValue(PARALLEL_ORIGIN_KEY, this);
    const results = await Promise.allSettled(branches.map((branch) => context.with(ctx, branch)));
    if (results.some((r) => r.status === 'rejected')) this.noteStepFailures(1);
    return results;
  }

  /** @internal Counts failed steps; a negative count undoes attempts a retry recovered. */
  noteStepFailures(count: number): void {
    this.handledStepFailures += count;
  }

  /**
   * Ends the run span with its status, first failure and outcome; failed when
   * `error` is given. Idempotent. Runs from `AgentTracer.run` end by
   * themselves; call it for runs from `AgentTracer.startRun`.
   */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) {
      const f = classifyError(error, undefined);
      this.recordFailure({ type: f.type, code: f.code, step: f.step });
    }
    const status: C.RunStatus =
      this.explicitStatus ??
      (error !== undefined || this.failures !== undefined
        ? 'failure'
        : this.handledStepFailures > 0
          ? 'partial'
          : 'success');
    const attributes: Attributes = { [C.ATTR_RUN_STATUS]: status };
    const first = this.failures?.[0];
    if (first) {
      attributes[C.ATTR_FAILURE_TYPE] = first.type;
      attributes[C.ATTR_FAILURE_CODE] = first.code;
      if (first.step !== undefined) attributes[C.ATTR_FAILURE_STEP] = first.step;
    }
    this.span.setAttributes(attributes);
    this.span.setStatus(
      status === 'failure'
        ? { code: SpanStatusCode.ERROR, message: first?.code }
        : { code: SpanStatusCode.OK },
    );
    this.span.end();
  }

  /** @internal Steps nest under the active step of this run, else under the run. */
  stepParentContext(): Context {
    const active = context.active();
    return active.getValue(RUN_KEY) === this ? active : this.context;
  }
}

/** Ends `step` when `result` settles; a function of its own so the sync path allocates no closures. */
async function settle<T>(result: PromiseLike<T>, run: Run, step: Step): Promise<T> {
  try {
    const value = await result;
    run.endStep(step);
    return value;
  } catch (err) {
    run.endStep(step, err);
    throw err;
  }
}
