/**
 * A workflow: an `invoke_workflow` span grouping the runs of several agents
 * that the application coordinates (a pipeline, a graph, a crew). Runs
 * started inside it carry its name (`gen_ai.workflow.name`) and name it as
 * their caller when no run called them.
 */
import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { WORKFLOW_KEY } from './context-keys.js';
import * as C from './conventions.js';
import { classifyError } from './failure.js';
import { isPromiseLike } from './is-promise-like.js';
import { isSafeLabel } from './privacy/sensitive.js';

/**
 * Traces `fn` as the workflow `name`; `fn` may be sync or async. An error it
 * throws marks the workflow span failed (with `error.type`) and is rethrown.
 * Throws a `TypeError` for a name that is not a label.
 */
export function traceWorkflow<T>(tracer: Tracer, name: string, fn: () => T): T {
  if (typeof name !== 'string' || !isSafeLabel(name))
    throw new TypeError(
      `workflow name must be a label of letters, digits and _.:/@- up to 128 characters (got ${JSON.stringify(name)})`,
    );
  if (typeof fn !== 'function')
    throw new TypeError(`tracer.workflow fn must be a function (got ${typeof fn})`);
  const active = context.active();
  const span = tracer.startSpan(
    `${C.OPERATION.invokeWorkflow} ${name}`,
    {
      attributes: {
        [C.ATTR_GEN_AI_OPERATION_NAME]: C.OPERATION.invokeWorkflow,
        [C.ATTR_GEN_AI_WORKFLOW_NAME]: name,
      },
    },
    active,
  );
  const ctx = trace.setSpan(active, span).setValue(WORKFLOW_KEY, name);
  const end = (err?: unknown): void => {
    if (err !== undefined) {
      const f = classifyError(err, undefined);
      span.setAttribute(C.ATTR_ERROR_TYPE, f.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: f.code });
    }
    span.end();
  };
  let result: T;
  try {
    result = context.with(ctx, fn);
  } catch (err) {
    end(err ?? new Error('undefined thrown'));
    throw err;
  }
  if (!isPromiseLike(result)) {
    end();
    return result;
  }
  return (async () => {
    try {
      const value = await result;
      end();
      return value;
    } catch (err) {
      end(err ?? new Error('undefined thrown'));
      throw err;
    }
  })() as T;
}
