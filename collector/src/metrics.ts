/**
 * The collector's counters and their Prometheus text rendering. Labels are
 * fixed reason codes, or attribute keys the allowlist already reduced to safe
 * labels (others are counted as `(unsafe_key)`), escaped all the same.
 */
import type { AllowlistStats } from '@agenttrace/sdk';
import type { ExporterStats } from '@agenttrace/clickhouse-exporter';

/** Why accepted spans were not exported. */
export type DropReason = 'sampled_out' | 'export_failed' | 'shutdown';
/** Why received spans were refused to the client. */
export type RejectReason = 'invalid' | 'queue_full' | 'too_large' | 'unavailable' | 'unauthorized';

/** Upper bounds of the export-latency histogram, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Live figures rendered on `GET /metrics`. */
export interface MetricsSources {
  allowlist(): AllowlistStats;
  queueDepth(): number;
  queueCapacity(): number;
  tailBuffered(): number;
  downstreamBacklog(): number;
  /**
   * The store exporter's counters, when the collector writes through the
   * ClickHouse exporter: spans by what finally happened to them.
   */
  exporter?: () => ExporterStats | undefined;
}

/** `agenttrace_collector_exporter_spans_total` outcomes and the counters behind them. */
const EXPORTER_OUTCOMES = [
  ['stored', 'storedSpans'],
  ['failed', 'failedSpans'],
  ['dead_lettered', 'deadLetteredSpans'],
  ['dropped', 'droppedSpans'],
  ['deferred', 'deferredSpans'],
] as const satisfies readonly (readonly [string, keyof ExporterStats])[];

/** Counters of one collector. Read them directly in tests; render for Prometheus. */
export class CollectorMetrics {
  /** Requests answered, by HTTP status code. */
  readonly requests = new Map<number, number>();
  /** Spans decoded from requests, valid or not. */
  received = 0;
  /** Spans accepted into the pipeline. */
  accepted = 0;
  /** Spans handed to the exporter and confirmed. */
  exported = 0;
  /** Spans refused to the client, by reason. */
  readonly rejected = new Map<RejectReason, number>();
  /** Accepted spans that were not exported, by reason. */
  readonly dropped = new Map<DropReason, number>();
  private readonly bucketCounts = new Array<number>(BUCKETS.length).fill(0);
  private latencySum = 0;
  private latencyCount = 0;

  /** Counts one answer. */
  request(status: number): void {
    this.requests.set(status, (this.requests.get(status) ?? 0) + 1);
  }

  /** Counts `n` spans refused. */
  reject(reason: RejectReason, n: number): void {
    if (n > 0) this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + n);
  }

  /** Counts `n` accepted spans dropped. */
  drop(reason: DropReason, n: number): void {
    if (n > 0) this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + n);
  }

  /** Records one `export` call's duration. */
  observeExport(seconds: number): void {
    this.latencySum += seconds;
    this.latencyCount++;
    for (let i = 0; i < BUCKETS.length; i++)
      if (seconds <= (BUCKETS[i] as number)) (this.bucketCounts[i] as number)++;
  }

  /** The Prometheus text exposition (format 0.0.4). */
  render(sources: MetricsSources): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const p = 'agenttrace_collector_';
    family(`${p}requests_total`, 'counter', 'OTLP requests answered, by HTTP status.');
    for (const [code, n] of this.requests) out.push(`${p}requests_total{code="${code}"} ${n}`);
    family(`${p}spans_received_total`, 'counter', 'Spans decoded from requests.');
    out.push(`${p}spans_received_total ${this.received}`);
    family(`${p}spans_accepted_total`, 'counter', 'Spans accepted into the pipeline.');
    out.push(`${p}spans_accepted_total ${this.accepted}`);
    family(`${p}spans_exported_total`, 'counter', 'Spans the exporter confirmed.');
    out.push(`${p}spans_exported_total ${this.exported}`);
    family(`${p}spans_rejected_total`, 'counter', 'Spans refused to the client, by reason.');
    for (const [reason, n] of this.rejected)
      out.push(`${p}spans_rejected_total{reason="${reason}"} ${n}`);
    family(`${p}spans_dropped_total`, 'counter', 'Accepted spans not exported, by reason.');
    for (const [reason, n] of this.dropped)
      out.push(`${p}spans_dropped_total{reason="${reason}"} ${n}`);
    const stats = sources.allowlist();
    family(
      `${p}allowlist_redacted_total`,
      'counter',
      'Items the privacy allowlist removed, by known attribute key; others as (other).',
    );
    // only keys agenttrace names itself: an unknown key could carry data (AllowlistStats)
    const byKey =
      stats.droppedByKnownKey ?? (stats.dropped > 0 ? { '(other)': stats.dropped } : {});
    for (const [key, n] of Object.entries(byKey))
      out.push(`${p}allowlist_redacted_total{key="${escapeLabel(key)}"} ${n}`);
    family(
      `${p}allowlist_failed_closed_total`,
      'counter',
      'Spans reduced to a skeleton because filtering failed.',
    );
    out.push(`${p}allowlist_failed_closed_total ${stats.failedClosed}`);
    family(
      `${p}allowlist_pseudonymized_total`,
      'counter',
      'Session and user id attributes replaced by their HMAC pseudonym (needs a session key).',
    );
    out.push(`${p}allowlist_pseudonymized_total ${stats.pseudonymized ?? 0}`);
    family(`${p}queue_spans`, 'gauge', 'Spans accepted and waiting for export.');
    out.push(`${p}queue_spans ${sources.queueDepth()}`);
    family(`${p}queue_capacity_spans`, 'gauge', 'Spans the queue holds before answering 429.');
    out.push(`${p}queue_capacity_spans ${sources.queueCapacity()}`);
    family(
      `${p}downstream_backlog_spans`,
      'gauge',
      'Spans the exporter holds after acknowledging them.',
    );
    out.push(`${p}downstream_backlog_spans ${sources.downstreamBacklog()}`);
    family(`${p}tail_buffered_spans`, 'gauge', 'Spans held for a tail-sampling decision.');
    out.push(`${p}tail_buffered_spans ${sources.tailBuffered()}`);
    const exporter = sources.exporter?.();
    if (exporter !== undefined) {
      family(
        `${p}exporter_spans_total`,
        'counter',
        'Spans the store exporter settled, by outcome: only stored spans are in the store.',
      );
      for (const [outcome, key] of EXPORTER_OUTCOMES)
        out.push(`${p}exporter_spans_total{outcome="${outcome}"} ${exporter[key]}`);
      family(`${p}exporter_queued_spans`, 'gauge', 'Spans the store exporter holds in memory.');
      out.push(`${p}exporter_queued_spans ${exporter.queuedSpans}`);
    }
    const h = `${p}export_duration_seconds`;
    family(h, 'histogram', 'Duration of export calls.');
    BUCKETS.forEach((le, i) => out.push(`${h}_bucket{le="${le}"} ${this.bucketCounts[i]}`));
    out.push(
      `${h}_bucket{le="+Inf"} ${this.latencyCount}`,
      `${h}_sum ${this.latencySum}`,
      `${h}_count ${this.latencyCount}`,
    );
    return `${out.join('\n')}\n`;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
