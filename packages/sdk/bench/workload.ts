/**
 * The agent run both sides of the sdk-overhead bench emit: one `invoke_agent`
 * run span and six steps as a tool-using agent makes them (plan, retrieve
 * with a data source and a result count, a model call that asks for a tool,
 * the tool, a second model call, the reply), usage and response on each
 * model call, the run's status at the end. `bareRun` makes these spans with
 * bare OTel as an agent instrumented by hand would; `oursRun` with the
 * agenttrace API. `spanShapes` lets the bench prove both export the same.
 */
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { conventions as C, type AgentTracer, type Run } from '../src/index.js';

/** Spans one run makes: the run and its six steps. */
export const SPANS_PER_RUN = 7;

const AGENT = 'support_agent';
const VERSION = '1.4.0';
const MODEL = 'gpt-4o-mini';
const RESPONSE_MODEL = 'gpt-4o-mini-2024-07-18';
const PROVIDER = 'openai';
const DATA_SOURCE = 'kb_main';
const TOOL = 'lookup_order';
const FINISH_TOOL = ['tool_calls'];
const FINISH_STOP = ['stop'];
/** The GenAI `plan` operation, and the provider name of an in-process agent's run spans. */
const PLAN = 'plan';
const AGENT_PROVIDER = 'agenttrace';

/** What each step of the run is; the same table drives both sides. */
interface StepPlan {
  readonly type: C.StepType;
  readonly name: string;
  /** For model steps: usage and finish reasons. */
  readonly usage?: { input: number; output: number; cached: number; finish: string[] };
}
const STEPS: readonly StepPlan[] = [
  { type: 'plan', name: 'analyze_query' },
  { type: 'retrieve', name: 'search_kb' },
  {
    type: 'model',
    name: 'answer',
    usage: { input: 812, output: 64, cached: 512, finish: FINISH_TOOL },
  },
  { type: 'tool', name: TOOL },
  {
    type: 'model',
    name: 'answer',
    usage: { input: 1210, output: 188, cached: 768, finish: FINISH_STOP },
  },
  { type: 'respond', name: 'reply' },
];

/** The span name and attributes agenttrace gives a step, written out by hand. */
function bareStep(tracer: Tracer, runId: string, seq: number, plan: StepPlan): void {
  const attributes: Attributes = {
    [C.ATTR_RUN_ID]: runId,
    [C.ATTR_GEN_AI_AGENT_NAME]: AGENT,
    [C.ATTR_STEP_TYPE]: plan.type,
    [C.ATTR_STEP_NAME]: plan.name,
    [C.ATTR_STEP_SEQ]: seq,
    [C.ATTR_GEN_AI_AGENT_VERSION]: VERSION,
  };
  let name: string;
  // model and retrieval calls leave the process: CLIENT spans, as the GenAI conventions say
  let kind = SpanKind.INTERNAL;
  switch (plan.type) {
    case 'plan':
      attributes[C.ATTR_GEN_AI_OPERATION_NAME] = PLAN;
      name = `${PLAN} ${AGENT}`;
      break;
    case 'retrieve':
      attributes[C.ATTR_GEN_AI_OPERATION_NAME] = C.OPERATION.retrieval;
      attributes[C.ATTR_GEN_AI_DATA_SOURCE_ID] = DATA_SOURCE;
      name = `${C.OPERATION.retrieval} ${DATA_SOURCE}`;
      kind = SpanKind.CLIENT;
      break;
    case 'model':
      attributes[C.ATTR_GEN_AI_OPERATION_NAME] = C.OPERATION.chat;
      attributes[C.ATTR_GEN_AI_REQUEST_MODEL] = MODEL;
      attributes[C.ATTR_GEN_AI_PROVIDER_NAME] = PROVIDER;
      name = `${C.OPERATION.chat} ${MODEL}`;
      kind = SpanKind.CLIENT;
      break;
    case 'tool':
      attributes[C.ATTR_GEN_AI_OPERATION_NAME] = C.OPERATION.executeTool;
      attributes[C.ATTR_GEN_AI_TOOL_NAME] = plan.name;
      name = `${C.OPERATION.executeTool} ${plan.name}`;
      break;
    default:
      name = `${plan.type} ${plan.name}`;
  }
  tracer.startActiveSpan(name, { kind, attributes }, (span) => {
    if (plan.type === 'retrieve') span.setAttribute(`${C.METADATA_PREFIX}result_count`, 5);
    const u = plan.usage;
    if (u !== undefined)
      span.setAttributes({
        [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.input,
        [C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.output,
        [C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cached,
        [C.ATTR_GEN_AI_RESPONSE_MODEL]: RESPONSE_MODEL,
        [C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: u.finish,
      });
    span.end();
  });
}

/** One run made with bare OTel: a run id, the same names and attributes, the same outcome. */
export function bareRun(tracer: Tracer): void {
  const runId = randomUUID();
  const attributes: Attributes = {
    [C.ATTR_GEN_AI_OPERATION_NAME]: C.OPERATION.invokeAgent,
    [C.ATTR_GEN_AI_AGENT_NAME]: AGENT,
    [C.ATTR_RUN_ID]: runId,
    [C.ATTR_RUN_ORIGIN]: 'root',
    [C.ATTR_GEN_AI_AGENT_VERSION]: VERSION,
    [C.ATTR_GEN_AI_PROVIDER_NAME]: AGENT_PROVIDER,
  };
  tracer.startActiveSpan(`${C.OPERATION.invokeAgent} ${AGENT}`, { attributes }, (run) => {
    for (let s = 0; s < STEPS.length; s++) bareStep(tracer, runId, s + 1, STEPS[s]!);
    run.setAttribute(C.ATTR_RUN_STATUS, 'success');
    run.setStatus({ code: SpanStatusCode.OK });
    run.end();
  });
}

function oursStep(run: Run, plan: StepPlan): void {
  switch (plan.type) {
    case 'retrieve':
      run.step(plan.type, plan.name, { dataSource: DATA_SOURCE }, (step) => {
        step.setMetadata({ result_count: 5 });
      });
      return;
    case 'model': {
      const u = plan.usage!;
      run.step(plan.type, plan.name, { model: MODEL, provider: PROVIDER }, (step) => {
        step.setUsage({
          inputTokens: u.input,
          outputTokens: u.output,
          cachedInputTokens: u.cached,
        });
        step.setResponse({ model: RESPONSE_MODEL, finishReasons: u.finish });
      });
      return;
    }
    default:
      run.step(plan.type, plan.name, () => undefined);
  }
}

/** The tracer the agenttrace side uses: made once, as an agent makes it. */
export const AGENT_OPTIONS = { agentName: AGENT, agentVersion: VERSION } as const;

/** One run made with the agenttrace API. */
export function oursRun(tracer: AgentTracer): void {
  tracer.run((run) => {
    for (const plan of STEPS) oursStep(run, plan);
  });
}

/**
 * What a span looks like once exported, without its random ids and times:
 * name, kind, status, parent's name and attributes (run ids replaced by a
 * placeholder), for comparing the two sides.
 */
export function spanShapes(spans: readonly ReadableSpan[]): string[] {
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
  return spans.map((s) => {
    const attributes: Record<string, unknown> = {};
    for (const key of Object.keys(s.attributes).sort())
      attributes[key] = key === C.ATTR_RUN_ID ? '<run id>' : s.attributes[key];
    return JSON.stringify({
      name: s.name,
      kind: s.kind,
      status: s.status,
      parent: s.parentSpanContext ? names.get(s.parentSpanContext.spanId) : undefined,
      attributes,
      events: s.events.map((e) => e.name),
      links: s.links.length,
    });
  });
}
