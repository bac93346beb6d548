/**
 * Feedback as the GenAI conventions' `gen_ai.evaluation.result` event
 * (semantic-conventions-genai docs/gen-ai/gen-ai-events.md at 997a19cc): an
 * event on the evaluated span while it is open, else on a short span that
 * references the run (attribute and link) and, when given, the response id.
 * `gen_ai.evaluation.explanation` is free text: it is not offered here, and
 * the allowlist forbids it.
 */
import { ROOT_CONTEXT, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import * as C from './conventions.js';
import { compileRule, rule } from './privacy/rules.js';
import { isSafeLabel } from './privacy/sensitive.js';
import type { RunRef } from './run.js';

/** The allowlist's own check of a provider's response id, so an id it would drop is refused here. */
const isProviderId = compileRule(rule.providerId());

/** Options of `AgentTracer.recordFeedback`. */
export interface FeedbackOptions {
  /** A label for the score, such as `thumbs_up` (`gen_ai.evaluation.score.label`). */
  label?: string;
  /** The provider's id of the evaluated response (`chatcmpl-…`), when known. */
  responseId?: string;
}

/** What feedback can be about: a run (an event on its span while it is open), or a finished run's ref. */
export type FeedbackTarget = RunRef | { readonly span: Span; readonly ref: RunRef };

/** Who records the feedback: the tracer's agent. */
export interface FeedbackSource {
  readonly tracer: Tracer;
  readonly agentName: string;
  readonly agentVersion: string | undefined;
}

function label(field: string, value: string | undefined): void {
  if (value !== undefined && (typeof value !== 'string' || !isSafeLabel(value)))
    throw new TypeError(
      `${field} must be a label of letters, digits and _.:/@- up to 128 characters (got ${JSON.stringify(value)})`,
    );
}

/**
 * Records one evaluation result. Throws a `TypeError` naming the field for
 * a metric or label that is not a label, or a value that is not finite.
 */
export function recordEvaluation(
  source: FeedbackSource,
  target: FeedbackTarget,
  metric: string,
  value: number,
  options: FeedbackOptions,
): void {
  label('metric', metric);
  label('options.label', options.label);
  if (options.responseId !== undefined && !isProviderId(options.responseId))
    throw new TypeError(
      `options.responseId must be a provider's response id such as chatcmpl-… of 16-96 letters and digits (got ${JSON.stringify(options.responseId)})`,
    );
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`feedback value must be a finite number (got ${String(value)})`);
  const event: Attributes = {
    [C.ATTR_GEN_AI_EVALUATION_NAME]: metric,
    [C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE]: value,
  };
  if (options.label !== undefined) event[C.ATTR_GEN_AI_EVALUATION_SCORE_LABEL] = options.label;
  if (options.responseId !== undefined) event[C.ATTR_GEN_AI_RESPONSE_ID] = options.responseId;

  // the evaluated span itself, while it can still take an event
  if ('span' in target && target.span.isRecording()) {
    target.span.addEvent(C.EVENT_GEN_AI_EVALUATION_RESULT, event);
    return;
  }
  const ref = 'span' in target ? target.ref : target;
  const attributes: Attributes = {
    [C.ATTR_GEN_AI_AGENT_NAME]: source.agentName,
    [C.ATTR_FEEDBACK_RUN_ID]: ref.runId,
  };
  if (source.agentVersion !== undefined)
    attributes[C.ATTR_GEN_AI_AGENT_VERSION] = source.agentVersion;
  const span = source.tracer.startSpan(
    `${C.SPAN_NAME_FEEDBACK} ${metric}`,
    {
      root: true,
      attributes,
      links: [{ context: { traceId: ref.traceId, spanId: ref.spanId, traceFlags: 1 } }],
    },
    ROOT_CONTEXT,
  );
  span.addEvent(C.EVENT_GEN_AI_EVALUATION_RESULT, event);
  span.end();
}
