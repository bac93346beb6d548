/**
 * Failure classification: turns what went wrong into a failure type and code
 * without keeping any message text. Explicit failures (`AgentFailureError`,
 * `recordFailure`) win over inference from the error's shape.
 */
import * as C from './conventions.js';
import { isSafeLabel } from './privacy/sensitive.js';

/** A classified failure: where it comes from and what kind it is. */
export interface Failure {
  /** tool, model, retrieval or orchestration. */
  readonly type: C.FailureType;
  /** A built-in code or a custom safe label such as `quota_exceeded`. */
  readonly code: C.FailureCode | (string & {});
  /** The step it happened in, if any. */
  readonly step?: string;
}

/** Facts taken from an error for the span: classification, error type, HTTP status. */
export interface ClassifiedError extends Failure {
  /** `error.type`: the error's class name or code when it is a safe label, else `Error`. */
  readonly errorType: string;
  readonly httpStatus?: number;
}

/**
 * Throw this from a step or run to fail with an explicit classification.
 *
 * @example
 * throw new AgentFailureError({ type: 'retrieval', code: 'empty_retrieval' });
 */
export class AgentFailureError extends Error {
  override readonly name = 'AgentFailureError';
  readonly failure: Failure;
  constructor(
    failure: Omit<Failure, 'step'>,
    message = `${failure.type} failure: ${failure.code}`,
  ) {
    super(message);
    assertFailure(failure);
    this.failure = failure;
  }
}

/** Throws a `TypeError` naming the field when a failure is malformed. */
export function assertFailure(failure: {
  type: unknown;
  code: unknown;
}): asserts failure is Failure {
  if (!(C.FAILURE_TYPES as readonly unknown[]).includes(failure.type))
    throw new TypeError(
      `failure.type must be one of ${C.FAILURE_TYPES.join(', ')} (got ${JSON.stringify(failure.type)})`,
    );
  if (typeof failure.code !== 'string' || !isSafeLabel(failure.code, undefined, 64))
    throw new TypeError(
      `failure.code must be a label of letters, digits and _.:/@- up to 64 characters (got ${JSON.stringify(failure.code)})`,
    );
}

const classified = new WeakMap<object, ClassifiedError>();

function prop(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null
    ? (err as Record<string, unknown>)[key]
    : undefined;
}

function ownHttpStatus(err: unknown): number | undefined {
  const response = prop(err, 'response');
  for (const v of [prop(err, 'status'), prop(err, 'statusCode'), prop(response, 'status')]) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599) return v;
  }
  return undefined;
}

/**
 * The HTTP status of an error, or of the error it wraps: the AI SDK's
 * `RetryError` keeps the last `APICallError` (with `statusCode`) in
 * `lastError`; other libraries use `cause`. One level deep, never a loop.
 */
function httpStatusOf(err: unknown): number | undefined {
  return (
    ownHttpStatus(err) ?? ownHttpStatus(prop(err, 'lastError')) ?? ownHttpStatus(prop(err, 'cause'))
  );
}

function codeOf(err: unknown, name: string, status: number | undefined): C.FailureCode {
  const code = prop(err, 'code');
  const text = `${name} ${typeof code === 'string' ? code : ''}`.toLowerCase();
  if (status === 429 || /ratelimit|rate_limit|too_many_requests/.test(text)) return 'rate_limited';
  if (/timeout|timedout|etimedout|deadline/.test(text)) return 'timeout';
  if (/abort|cancel/.test(text)) return 'cancelled';
  if (status === 401 || status === 403 || /auth|permission|forbidden/.test(text)) return 'auth';
  if (status === 404 || /notfound|enoent/.test(text)) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (/zod|schema|validation|syntaxerror|json/.test(text)) return 'schema_invalid';
  if (/context_length|contextlength|context_window/.test(text)) return 'context_length';
  if (/content_filter|contentfilter|safety/.test(text)) return 'content_filter';
  if (/econnrefused|econnreset|enotfound|eai_again|network|fetcherror|socket/.test(text))
    return 'network';
  if (status !== undefined && status >= 400) return 'invalid_request';
  return 'error';
}

/**
 * Classifies an error that escaped a step of `stepType` (or a run, with
 * `undefined`). The same error object is classified once: a run that sees a
 * step's error again gets the step's classification.
 */
export function classifyError(
  err: unknown,
  stepType: C.StepType | undefined,
  step?: string,
): ClassifiedError {
  if (typeof err === 'object' && err !== null) {
    const known = classified.get(err);
    if (known) return known;
  }
  const rawName = prop(err, 'name');
  const name =
    typeof rawName === 'string' && isSafeLabel(rawName, undefined, 64) ? rawName : 'Error';
  const httpStatus = httpStatusOf(err);
  const explicit = err instanceof AgentFailureError ? err.failure : undefined;
  const result: ClassifiedError = {
    type: explicit?.type ?? (stepType ? C.STEP_FAILURE_TYPE[stepType] : 'orchestration'),
    code: explicit?.code ?? codeOf(err, name, httpStatus),
    step,
    errorType: name,
    httpStatus,
  };
  if (typeof err === 'object' && err !== null) classified.set(err, result);
  return result;
}

/** What an error span of another instrumentation tells: exception types and messages. */
export interface ForeignErrorFacts {
  /** `exception.type` of the span's exception events, `error.type`. */
  readonly types: readonly string[];
  /** `exception.message` of its exception events and its status message: read, never kept. */
  readonly messages: readonly string[];
}

const RATE_LIMIT_TEXT =
  /\b429\b|rate[ _-]?limit|too many requests|too_many_requests|quota|throttl/i;
/** Longest message read; the signal is near the start, and regexes stay cheap. */
const MAX_MESSAGE_READ = 2048;

/**
 * Exception types that say nothing of the cause: the AI SDK's
 * `APICallError` / `RetryError` (with or without its `AI_` prefix) and a
 * plain `Error`. Only behind these is a message worth reading.
 */
const UNINFORMATIVE_TYPE = /^(?:AI_)?(?:APICallError|RetryError)$|^Error$/;

/**
 * A failure code for an error span another instrumentation wrote, when its
 * exception messages carry a signal the views cannot see: a 429 or rate
 * limit that the AI SDK reports only as `AI_APICallError` / `AI_RetryError`
 * with the provider's message. Read only when every exception type is one
 * that says nothing (else the views classify from the type, as for
 * `RateLimitError`); the messages are read here and dropped by the
 * allowlist, only the code is kept. `undefined` when nothing is certain.
 *
 * @example
 * classifyForeignError({ types: ['AI_APICallError'], messages: ['Rate limit reached'] }) // 'rate_limited'
 */
export function classifyForeignError(facts: ForeignErrorFacts): C.FailureCode | undefined {
  if (!facts.types.every((t) => UNINFORMATIVE_TYPE.test(t))) return undefined;
  for (const message of facts.messages)
    if (RATE_LIMIT_TEXT.test(message.slice(0, MAX_MESSAGE_READ))) return 'rate_limited';
  return undefined;
}
