/** Context entries through which runs find their parent run, parallel origin and workflow. */
import { createContextKey } from '@opentelemetry/api';

/** The run whose callback is executing. */
export const RUN_KEY = createContextKey('agenttrace.run');
/** Set by `Run.parallel`: the run that launched the parallel branch. */
export const PARALLEL_ORIGIN_KEY = createContextKey('agenttrace.parallel_origin');
/** Set by `AgentTracer.workflow`: the name of the workflow whose callback is executing. */
export const WORKFLOW_KEY = createContextKey('agenttrace.workflow');
