/** Context entries through which runs find their parent run and parallel origin. */
import { createContextKey } from '@opentelemetry/api';

/** The run whose callback is executing. */
export const RUN_KEY = createContextKey('agenttrace.run');
/** Set by `Run.parallel`: the run that launched the parallel branch. */
export const PARALLEL_ORIGIN_KEY = createContextKey('agenttrace.parallel_origin');
