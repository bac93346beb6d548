/**
 * The entry point of the SDK: one `AgentTracer` per agent (name and version)
 * starts runs, forks and feedback as OTel spans through `@opentelemetry/api`.
 */
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { PARALLEL_ORIGIN_KEY, RUN_KEY, WORKFLOW_KEY } from './context-keys.js';
import * as C from './conventions.js';
import { recordEvaluation, type FeedbackOptions } from './feedback.js';
import { isPromiseLike } from './is-promise-like.js';
import { metadataAttributes, type Metadata } from './metadata.js';
import { isSafeLabel } from './privacy/sensitive.js';
import { Run, type RunHost, type RunIdentity, type RunRef } from './run.js';
import { newRunId } from './run-id.js';
import { VERSION } from './version.js';
import { traceWorkflow } from './workflow.js';

export type { FeedbackOptions } from './feedback.js';

/** Options of {@link AgentTracer}. */
export interface AgentTracerOptions {
  /** The agent's name (`gen_ai.agent.name`): a label such as `support-agent`. */
  agentName: string;
  /** The agent's version (`gen_ai.agent.version`). */
  agentVersion?: string;
  /** Where spans go. @default the global tracer provider */
  tracerProvider?: TracerProvider;
  /**
   * Who hosts the agent (`gen_ai.provider.name` of its run spans), e.g.
   * `openai` for an OpenAI Assistants agent or `aws.bedrock` for a Bedrock
   * agent. @default 'agenttrace' (an agent in this process; docs/conventions.md)
   */
  provider?: string;
  /**
   * The agent runs in another process or service, called over the network:
   * run spans are CLIENT spans (`invoke_agent` client). @default false (in process: INTERNAL)
   */
  remote?: boolean;
}

/** Options of one run. All optional; none of them may carry content. */
export interface RunOptions {
  /** A/B variant label (`agenttrace.variant`). */
  variant?: string;
  /** Prompt template name and version: labels, never the template text. */
  promptTemplate?: { name: string; version?: string };
  /** Safe metadata: numbers, booleans and declared labels. */
  metadata?: Metadata;
  /** Extra links, for example to the request that triggered the run. */
  links?: Link[];
  /**
   * The conversation or session this run belongs to, as your application
   * names it (any id, even an e-mail address). Set raw as
   * `gen_ai.conversation.id` on the run span; the allowlist replaces it with
   * its HMAC pseudonym `agenttrace.session.id` when the provider has a
   * `sessionKey`, and drops it otherwise. Never stored as given.
   */
  sessionId?: string;
  /**
   * The end user, as your application names them. Set raw as `user.id`;
   * stored only as the pseudonym `agenttrace.user.id`, and only when the
   * provider has a `sessionKey` and `pseudonymizeUserId: true`.
   */
  userId?: string;
}

/** The options of a run given none: shared, never written to. */
const NO_OPTIONS: RunOptions = Object.freeze({});

/** Longest session or user id accepted: longer values are not ids. */
const MAX_ID_LENGTH = 1_024;

function rawId(field: string, value: string | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH)
    throw new TypeError(
      `${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters (got ${typeof value === 'string' ? `a string of length ${value.length}` : typeof value})`,
    );
}

function label(field: string, value: string | undefined, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || !isSafeLabel(value))
    throw new TypeError(
      `${field} must be a label of letters, digits and _.:/@- up to 128 characters (got ${JSON.stringify(value)})`,
    );
}

/**
 * Traces the runs of one agent.
 *
 * @example
 * const tracer = new AgentTracer({ agentName: 'support', agentVersion: '1.4.0' });
 * await tracer.run({ variant: 'b' }, async (run) => {
 *   await run.step('plan', 'analyze_query', async () => plan(query));
 * });
 */
export class AgentTracer implements RunHost {
  /** @internal The OTel tracer spans are made with. */
  readonly tracer: Tracer;
  private readonly agentName: string;
  private readonly agentVersion: string | undefined;
  /** What steps of a run without a variant carry; shared, it never changes. */
  private readonly identity: RunIdentity;
  private readonly provider: string;
  private readonly runKind: SpanKind;
  /** `invoke_agent {agent}`: made once, the same string object for every run. */
  private readonly runSpanName: string;

  constructor(options: AgentTracerOptions) {
    label('agentName', options?.agentName, true);
    label('agentVersion', options.agentVersion, false);
    label('provider', options.provider, false);
    if (options.remote !== undefined && typeof options.remote !== 'boolean')
      throw new TypeError(`remote must be a boolean (got ${JSON.stringify(options.remote)})`);
    this.provider = options.provider ?? C.DEFAULT_AGENT_PROVIDER;
    this.runKind = options.remote === true ? SpanKind.CLIENT : SpanKind.INTERNAL;
    this.agentName = options.agentName;
    this.agentVersion = options.agentVersion;
    this.runSpanName = `${C.OPERATION.invokeAgent} ${options.agentName}`;
    this.identity = {
      agentName: options.agentName,
      agentVersion: options.agentVersion,
      variant: undefined,
    };
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      '@agenttrace/sdk',
      VERSION,
    );
  }

  /**
   * Traces one run of the agent. A run started inside another run's step is
   * nested under it (agent-as-tool); inside `Run.parallel` it is a parallel
   * run linked to the launching run. `fn` may be sync or async; an error it
   * throws marks the run failed with a classified failure and is rethrown.
   */
  run<T>(fn: (run: Run) => T): T;
  run<T>(options: RunOptions, fn: (run: Run) => T): T;
  run<T>(a: RunOptions | ((run: Run) => T), b?: (run: Run) => T): T {
    const options = typeof a === 'function' ? NO_OPTIONS : a;
    const fn = typeof a === 'function' ? a : b;
    if (typeof fn !== 'function')
      throw new TypeError(`tracer.run fn must be a function (got ${typeof fn})`);
    const active = context.active();
    const parentRun = active.getValue(RUN_KEY) as Run | undefined;
    const parallelOrigin = active.getValue(PARALLEL_ORIGIN_KEY) as Run | undefined;
    const originRun =
      parallelOrigin !== undefined && parallelOrigin === parentRun ? parallelOrigin : undefined;
    const origin: C.RunOrigin = originRun ? 'parallel' : parentRun ? 'nested' : 'root';
    return this.runIn(options, active, origin, parentRun, originRun, fn);
  }

  /**
   * Starts a run that the caller ends with `run.end(error?)`, for
   * callback-style frameworks where start and end happen in different
   * callbacks. Prefer `run()` otherwise: it cannot leave a run open.
   */
  startRun(options: RunOptions = {}): Run {
    const active = context.active();
    const parentRun = active.getValue(RUN_KEY) as Run | undefined;
    return this.openRun(options, active, parentRun ? 'nested' : 'root', parentRun, undefined);
  }

  /**
   * Traces a workflow that coordinates several agents: an `invoke_workflow`
   * span named `invoke_workflow {name}`. Runs started inside it (of this or
   * any other tracer) carry `gen_ai.workflow.name`; `fn` may be sync or async.
   *
   * @example
   * await support.workflow('support_pipeline', async () => {
   *   const plan = await triage.run((run) => classify(run, ticket));
   *   return support.run((run) => answer(run, plan));
   * });
   */
  workflow<T>(name: string, fn: () => T): T {
    return traceWorkflow(this.tracer, name, fn);
  }

  /** @internal Implements `Run.fork`: a new trace, linked to the origin run. */
  forkRun<T>(originRun: Run, fn: (run: Run) => T): T {
    return this.runIn(NO_OPTIONS, ROOT_CONTEXT, 'fork', undefined, originRun, fn);
  }

  /**
   * Records feedback (a score) as the GenAI conventions'
   * `gen_ai.evaluation.result` event: on the run's span while the run is
   * open (pass the `Run`), else on a short span linked to the finished run
   * (pass `run.ref`). `metric` is a label such as `helpfulness`; `value` a
   * finite number; `options.responseId` the provider's id of the evaluated
   * response. There is no explanation text: it would be content.
   *
   * @example
   * const ref = await tracer.run(async (run) => answer(run));
   * tracer.recordFeedback(ref, 'helpfulness', 1, { label: 'thumbs_up' });
   */
  recordFeedback(
    run: RunRef | Run,
    metric: string,
    value: number,
    options: FeedbackOptions = {},
  ): void {
    const target = run instanceof Run ? { span: run.span, ref: run.ref } : run;
    const source = {
      tracer: this.tracer,
      agentName: this.agentName,
      agentVersion: this.agentVersion,
    };
    recordEvaluation(source, target, metric, value, options);
  }

  private openRun(
    options: RunOptions,
    parent: Context,
    origin: C.RunOrigin,
    parentRun: Run | undefined,
    originRun: Run | undefined,
  ): Run {
    label('variant', options.variant, false);
    label(
      'promptTemplate.name',
      options.promptTemplate?.name,
      options.promptTemplate !== undefined,
    );
    label('promptTemplate.version', options.promptTemplate?.version, false);
    rawId('sessionId', options.sessionId);
    rawId('userId', options.userId);
    const id = newRunId();
    const attributes: Attributes = {
      [C.ATTR_GEN_AI_OPERATION_NAME]: C.OPERATION.invokeAgent,
      [C.ATTR_GEN_AI_AGENT_NAME]: this.agentName,
      [C.ATTR_GEN_AI_PROVIDER_NAME]: this.provider,
      [C.ATTR_RUN_ID]: id,
      [C.ATTR_RUN_ORIGIN]: origin,
    };
    const workflow = parent.getValue(WORKFLOW_KEY) as string | undefined;
    if (workflow !== undefined) attributes[C.ATTR_GEN_AI_WORKFLOW_NAME] = workflow;
    // the immediate caller: the run whose step started this one, else the workflow
    if (parentRun) {
      attributes[C.ATTR_GEN_AI_CALLER_TYPE] = 'agent';
      attributes[C.ATTR_GEN_AI_CALLER_NAME] = parentRun.agentName;
    } else if (workflow !== undefined) {
      attributes[C.ATTR_GEN_AI_CALLER_TYPE] = 'workflow';
      attributes[C.ATTR_GEN_AI_CALLER_NAME] = workflow;
    }
    if (this.agentVersion !== undefined)
      attributes[C.ATTR_GEN_AI_AGENT_VERSION] = this.agentVersion;
    if (parentRun) attributes[C.ATTR_RUN_PARENT_ID] = parentRun.id;
    if (originRun) attributes[C.ATTR_RUN_ORIGIN_ID] = originRun.id;
    if (options.variant !== undefined) attributes[C.ATTR_VARIANT] = options.variant;
    if (options.promptTemplate) {
      attributes[C.ATTR_PROMPT_TEMPLATE] = options.promptTemplate.name;
      if (options.promptTemplate.version !== undefined)
        attributes[C.ATTR_PROMPT_VERSION] = options.promptTemplate.version;
    }
    if (options.metadata) Object.assign(attributes, metadataAttributes(options.metadata));
    // raw: only the allowlist's pseudonym of it is ever exported
    if (options.sessionId !== undefined)
      attributes[C.ATTR_GEN_AI_CONVERSATION_ID] = options.sessionId;
    if (options.userId !== undefined) attributes[C.ATTR_USER_ID_RAW] = options.userId;
    const links = originRun
      ? [...(options.links ?? []), { context: originRun.span.spanContext() }]
      : options.links;
    const span = this.tracer.startSpan(
      this.runSpanName,
      { kind: this.runKind, attributes, links, root: origin === 'fork' },
      parent,
    );
    const identity =
      options.variant === undefined
        ? this.identity
        : { ...this.identity, variant: options.variant };
    const run = new Run(this, span, id, parent, identity);
    return run;
  }

  private runIn<T>(
    options: RunOptions,
    parent: Context,
    origin: C.RunOrigin,
    parentRun: Run | undefined,
    originRun: Run | undefined,
    fn: (run: Run) => T,
  ): T {
    const run = this.openRun(options, parent, origin, parentRun, originRun);
    let result: T;
    try {
      result = context.with(run.context, fn, undefined, run);
    } catch (err) {
      run.end(err ?? new Error('undefined thrown'));
      throw err;
    }
    if (!isPromiseLike(result)) {
      run.end();
      return result;
    }
    return finishWhenSettled(result, run) as T;
  }
}

/** Finishes `run` when `result` settles; separate so the sync path allocates no closures. */
async function finishWhenSettled<T>(result: PromiseLike<T>, run: Run): Promise<T> {
  try {
    const value = await result;
    run.end();
    return value;
  } catch (err) {
    run.end(err ?? new Error('undefined thrown'));
    throw err;
  }
}
