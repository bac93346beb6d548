/**
 * `/metrics` renders the store exporter's counters by outcome, so a span
 * counts as stored only once the store has it.
 */
import { describe, expect, it } from 'vitest';
import type { ExporterStats } from '@agenttrace/clickhouse-exporter';
import { CollectorMetrics, type MetricsSources } from '../src/metrics.js';

const stats: ExporterStats = {
  acceptedSpans: 100,
  storedSpans: 90,
  droppedSpans: 4,
  failedSpans: 3,
  deadLetteredSpans: 2,
  deferredSpans: 1,
  replayedSpans: 0,
  bisectInserts: 7,
  retries: 0,
  spoolErrors: 0,
  queuedSpans: 4,
};

function sources(exporter?: () => ExporterStats | undefined): MetricsSources {
  return {
    allowlist: () => ({ spans: 0, failedClosed: 0, dropped: 0, droppedByKey: {} }),
    queueDepth: () => 0,
    queueCapacity: () => 10,
    tailBuffered: () => 0,
    downstreamBacklog: () => 0,
    ...(exporter ? { exporter } : {}),
  };
}

describe('CollectorMetrics', () => {
  describe('.render', () => {
    it('renders the exporter spans by outcome', () => {
      const text = new CollectorMetrics().render(sources(() => stats));
      const lines = text.split('\n').filter((l) => l.startsWith('agenttrace_collector_exporter_'));
      expect(lines).toEqual([
        'agenttrace_collector_exporter_spans_total{outcome="stored"} 90',
        'agenttrace_collector_exporter_spans_total{outcome="failed"} 3',
        'agenttrace_collector_exporter_spans_total{outcome="dead_lettered"} 2',
        'agenttrace_collector_exporter_spans_total{outcome="dropped"} 4',
        'agenttrace_collector_exporter_spans_total{outcome="deferred"} 1',
        'agenttrace_collector_exporter_queued_spans 4',
      ]);
      expect(text).toContain('# TYPE agenttrace_collector_exporter_spans_total counter');
    });

    it('leaves the family out without a store exporter', () => {
      expect(new CollectorMetrics().render(sources())).not.toContain('exporter_spans_total');
      expect(new CollectorMetrics().render(sources(() => undefined))).not.toContain(
        'exporter_spans_total',
      );
    });
  });
});
