/**
 * A run's steps as a terminal waterfall: the step tree, type, name, a bar
 * placed on the run's timeline, duration, status, tokens and failure; the
 * workflow the run ran in, and each handoff as `handoff A → B`.
 */
import type { RunRow, StepRow } from '@agenttrace/query';
import type { Paint } from './color.js';
import { duration } from './table.js';

const BAR_WIDTH = 32;
const TYPE_COLOUR = {
  plan: 'blue',
  retrieve: 'cyan',
  tool: 'yellow',
  model: 'magenta',
  respond: 'green',
  other: 'gray',
} as const;

function ns(timestamp: string): number {
  // ClickHouse DateTime64(9) text: 'YYYY-MM-DD hh:mm:ss.fffffffff' in UTC
  const [date, frac = '0'] = timestamp.split('.');
  return Date.parse(`${date!.replace(' ', 'T')}Z`) * 1e6 + Number(frac.padEnd(9, '0').slice(0, 9));
}

function bar(startNs: number, durationMs: number, runStartNs: number, runMs: number): string {
  const scale = BAR_WIDTH / Math.max(runMs, 0.001);
  const from = Math.min(
    BAR_WIDTH - 1,
    Math.max(0, Math.floor(((startNs - runStartNs) / 1e6) * scale)),
  );
  const width = Math.max(1, Math.min(BAR_WIDTH - from, Math.round(durationMs * scale)));
  return ' '.repeat(from) + '█'.repeat(width) + ' '.repeat(BAR_WIDTH - from - width);
}

/** What the waterfall shows beside the run and its steps. */
export interface WaterfallContext {
  /** The workflow (`invoke_workflow`) the run's trace ran in, if any. */
  readonly workflow?: string;
}

/** A step's name in the tree: `handoff A → B` for a handoff, else its name and attempt. */
function stepLabel(run: RunRow, s: StepRow): string {
  // rows from an older collector lack the transfer columns
  if (s.transfer_target)
    return `handoff ${run.agent} → ${s.transfer_target}${s.transfer_mode === 'return_to_caller' ? ' (returns)' : ''}`;
  return `${s.step_name}${s.attempt > 1 ? ` #${s.attempt}` : ''}`;
}

/** Renders one run and its steps. */
export function waterfall(
  run: RunRow,
  steps: readonly StepRow[],
  paint: Paint,
  context: WaterfallContext = {},
): string {
  const runStart = ns(run.started_at);
  const status =
    run.status === 'success'
      ? paint('green', 'success')
      : run.status === 'failure'
        ? paint('red', 'failure')
        : paint('yellow', run.status);
  const lines = [
    `${paint('bold', `run ${run.run_id}`)}  ${run.agent}${run.agent_version ? `@${run.agent_version}` : ''}${run.variant ? ` variant=${run.variant}` : ''}  ${status}  ${duration(run.duration_ms)}`,
    `trace ${run.trace_id}  started ${run.started_at} UTC`,
  ];
  if (context.workflow) lines.push(`workflow ${context.workflow}`);
  lines.push('');
  const depthOf = new Map<string, number>([[run.span_id, 0]]);
  const rows = steps.map((s) => {
    const depth = (depthOf.get(s.parent_span_id) ?? 0) + 1;
    depthOf.set(s.span_id, depth);
    const label = `${'  '.repeat(depth - 1)}${s.step_type.padEnd(8)} ${stepLabel(run, s)}`;
    const colour = TYPE_COLOUR[s.step_type as keyof typeof TYPE_COLOUR] ?? 'gray';
    const tokens =
      s.input_tokens || s.output_tokens ? `${s.input_tokens}→${s.output_tokens} tok` : '';
    const failure = s.failure_type
      ? paint('red', `✗ ${s.failure_type}/${s.failure_code}`)
      : paint('green', '✓');
    return { label, colour, s, tokens, failure };
  });
  const labelWidth = Math.max(20, ...rows.map((r) => r.label.length));
  for (const r of rows) {
    const b = bar(ns(r.s.started_at), r.s.duration_ms, runStart, run.duration_ms);
    lines.push(
      `${paint(r.colour, r.label.padEnd(labelWidth))} ${paint(r.colour, b)} ${duration(r.s.duration_ms).padStart(9)}  ${r.failure} ${r.tokens}`.trimEnd(),
    );
  }
  if (run.failure_type)
    lines.push(
      '',
      paint(
        'red',
        `failure: ${run.failure_type}/${run.failure_code}${run.failure_step ? ` in ${run.failure_step}` : ''}`,
      ),
    );
  const totals = [`${run.step_count} steps`, `${run.retry_count} retries`];
  if (run.input_tokens || run.output_tokens)
    totals.push(`${run.input_tokens}→${run.output_tokens} tokens`);
  if (run.cost_usd !== null) totals.push(`$${run.cost_usd.toFixed(5)}`);
  lines.push('', totals.join(' · '));
  return lines.join('\n');
}
