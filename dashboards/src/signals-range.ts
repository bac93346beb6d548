/**
 * The signals of a Grafana panel's or alert rule's time range, for the
 * signals dashboard and the signal alert rules.
 */
import { DEFAULT_SIGNAL_THRESHOLDS, SIGNAL_THRESHOLDS, THRESHOLD_NAMES } from '@agenttrace/query';

/**
 * The signals of the dashboard's time range with the default thresholds:
 * `agent_signals_window` reads only the days of the range (`agent_signals`
 * reads all history). `until` is exclusive, `$__timeFilter` inclusive: a
 * second more covers its last second.
 */
export const SIGNALS_IN_RANGE = `agent_signals_window(since = $__fromTime, until = $__toTime + 1, ${THRESHOLD_NAMES.map(
  (n) => `${SIGNAL_THRESHOLDS[n].param} = ${DEFAULT_SIGNAL_THRESHOLDS[n]}`,
).join(', ')})`;
