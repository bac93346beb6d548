/**
 * Retries with exponential backoff and jitter, one step span per attempt.
 * Failed attempts that a later attempt recovered do not make the run partial.
 */
import { context, trace } from '@opentelemetry/api';
import * as C from './conventions.js';
import type { Run } from './run.js';
import type { Step, StepOptions } from './step.js';

/** Default number of attempts in all. */
export const DEFAULT_RETRY_ATTEMPTS = 3;
/** Default delay before the second attempt, in ms. */
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 100;
/** Default multiplier of the delay after each failed attempt. */
export const DEFAULT_RETRY_BACKOFF = 2;
/** Default ceiling of one delay, in ms. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;

/** Options of `Run.retry`. */
export interface RetryOptions extends Omit<StepOptions, 'attempt' | 'maxAttempts'> {
  /** Attempts in all, at least 1. @default 3 */
  attempts?: number;
  /** Delay before the second attempt. @default 100 */
  initialDelayMs?: number;
  /** Delay multiplier per failed attempt. @default 2 */
  backoff?: number;
  /** Ceiling of one delay. @default 10_000 */
  maxDelayMs?: number;
  /** Randomise each delay in [delay/2, delay]. @default true */
  jitter?: boolean;
  /** Whether an error is worth another attempt. @default every error */
  retryOn?: (error: unknown, attempt: number) => boolean;
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`retry.${field} must be a positive integer (got ${String(value)})`);
  return value;
}

function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`retry.${field} must be a non-negative number (got ${String(value)})`);
  return value;
}

/** @internal Implements `Run.retry`. */
export async function retryStep<T>(
  run: Run,
  type: C.StepType,
  name: string,
  options: RetryOptions,
  fn: (step: Step, attempt: number) => Promise<T>,
): Promise<T> {
  const {
    attempts = DEFAULT_RETRY_ATTEMPTS,
    initialDelayMs = DEFAULT_RETRY_INITIAL_DELAY_MS,
    backoff = DEFAULT_RETRY_BACKOFF,
    maxDelayMs = DEFAULT_RETRY_MAX_DELAY_MS,
    jitter = true,
    retryOn,
    ...stepOptions
  } = options;
  const maxAttempts = positiveInteger('attempts', attempts);
  let delay = nonNegative('initialDelayMs', initialDelayMs);
  nonNegative('backoff', backoff);
  nonNegative('maxDelayMs', maxDelayMs);

  let failedAttempts = 0;
  for (let attempt = 1; ; attempt++) {
    const step = run.startStep(type, name, { ...stepOptions, attempt, maxAttempts });
    try {
      const value = await context.with(trace.setSpan(run.stepParentContext(), step.span), () =>
        fn(step, attempt),
      );
      run.endStep(step);
      run.noteStepFailures(-failedAttempts);
      return value;
    } catch (err) {
      failedAttempts++;
      const again = attempt < maxAttempts && (retryOn ? retryOn(err, attempt) : true);
      const wait = again
        ? Math.round(Math.min(delay, maxDelayMs) * (jitter ? 0.5 + Math.random() / 2 : 1))
        : 0;
      if (again) step.span.setAttribute(C.ATTR_STEP_RETRY_DELAY_MS, wait);
      run.endStep(step, err);
      if (!again) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay *= backoff;
    }
  }
}
