/**
 * createTracerProvider and the OTel SDK environment: each variable applies as
 * in the OTel SDK, and the explicit option wins over it.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AgentTracer,
  createTracerProvider,
  type TracerProviderSetupOptions,
} from '../src/index.js';

/** Keeps every batch it is handed; `hang` never answers (an export that times out). */
class RecordingExporter implements SpanExporter {
  readonly batches: ReadableSpan[][] = [];
  constructor(private readonly hang = false) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans);
    if (!this.hang) done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  get spans(): ReadableSpan[] {
    return this.batches.flat();
  }
}

/** Holds every export's answer until `release()`, then answers at once. */
class GatedExporter extends RecordingExporter {
  private readonly waiting: (() => void)[] = [];
  private open = false;
  override export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans);
    const answer = () => done({ code: ExportResultCode.SUCCESS });
    if (this.open) answer();
    else this.waiting.push(answer);
  }
  release(): void {
    this.open = true;
    for (const answer of this.waiting.splice(0)) answer();
  }
}

/** Ends `runs` agent runs through a provider built with `options`, then flushes it. */
async function trace(
  runs: number,
  options: Partial<TracerProviderSetupOptions> = {},
  exporter = new RecordingExporter(),
): Promise<RecordingExporter> {
  const provider = createTracerProvider({ exporter, ...options });
  const tracer = new AgentTracer({ agentName: 'env_agent', tracerProvider: provider });
  for (let i = 0; i < runs; i++) await tracer.run(async () => i);
  await provider.forceFlush();
  await provider.shutdown();
  return exporter;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createTracerProvider', () => {
  describe('OTEL_SERVICE_NAME', () => {
    it('names the service, and serviceName wins over it', async () => {
      vi.stubEnv('OTEL_SERVICE_NAME', 'checkout');
      const fromEnv = await trace(1);
      expect(fromEnv.spans[0]?.resource.attributes['service.name']).toBe('checkout');
      const explicit = await trace(1, { serviceName: 'support' });
      expect(explicit.spans[0]?.resource.attributes['service.name']).toBe('support');
    });

    it("is 'agent' when neither is set", async () => {
      vi.stubEnv('OTEL_SERVICE_NAME', undefined);
      const exporter = await trace(1);
      expect(exporter.spans[0]?.resource.attributes['service.name']).toBe('agent');
    });
  });

  describe('OTEL_RESOURCE_ATTRIBUTES', () => {
    it('adds allowed resource attributes, and explicit options win over them', async () => {
      vi.stubEnv(
        'OTEL_RESOURCE_ATTRIBUTES',
        'service.namespace=shop,deployment.environment.name=staging,service.name=from-attrs',
      );
      const fromEnv = await trace(1);
      const attributes = fromEnv.spans[0]?.resource.attributes;
      expect(attributes?.['service.namespace']).toBe('shop');
      expect(attributes?.['deployment.environment.name']).toBe('staging');
      expect(attributes?.['service.name']).toBe('from-attrs');
      const explicit = await trace(1, { environment: 'production', serviceName: 'support' });
      expect(explicit.spans[0]?.resource.attributes['deployment.environment.name']).toBe(
        'production',
      );
      expect(explicit.spans[0]?.resource.attributes['service.name']).toBe('support');
    });
  });

  describe('OTEL_SDK_DISABLED', () => {
    it('records and exports nothing when true, and disabled: false wins over it', async () => {
      vi.stubEnv('OTEL_SDK_DISABLED', 'true');
      expect((await trace(3)).spans).toHaveLength(0);
      expect((await trace(3, { disabled: false })).spans).toHaveLength(3);
    });

    it('exports as usual when false', async () => {
      vi.stubEnv('OTEL_SDK_DISABLED', 'false');
      expect((await trace(2)).spans).toHaveLength(2);
    });
  });

  describe('OTEL_TRACES_SAMPLER', () => {
    it('always_off samples nothing, and an explicit sampler wins over it', async () => {
      vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
      expect((await trace(3)).spans).toHaveLength(0);
      const { AlwaysOnSampler } = await import('@opentelemetry/sdk-trace');
      expect((await trace(3, { sampler: new AlwaysOnSampler() })).spans).toHaveLength(3);
    });

    it('an unknown sampler falls back to parentbased_always_on', async () => {
      vi.stubEnv('OTEL_TRACES_SAMPLER', 'no_such_sampler');
      expect((await trace(2)).spans).toHaveLength(2);
    });
  });

  describe('OTEL_TRACES_SAMPLER_ARG', () => {
    it('is the ratio of traceidratio: 0 samples nothing, 1 everything', async () => {
      vi.stubEnv('OTEL_TRACES_SAMPLER', 'parentbased_traceidratio');
      vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0');
      expect((await trace(5)).spans).toHaveLength(0);
      vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '1');
      expect((await trace(5)).spans).toHaveLength(5);
    });
  });

  describe('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', () => {
    it('caps each export, and maxExportBatchSize wins over it', async () => {
      vi.stubEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '2');
      const fromEnv = await trace(5);
      expect(fromEnv.batches.map((b) => b.length)).toEqual([2, 2, 1]);
      const explicit = await trace(5, { maxExportBatchSize: 5 });
      expect(explicit.batches.map((b) => b.length)).toEqual([5]);
    });
  });

  describe('OTEL_BSP_MAX_QUEUE_SIZE', () => {
    /** Five runs while the first export hangs: the queue holds what waits behind it. */
    async function exportedWhileBlocked(options: Partial<TracerProviderSetupOptions> = {}) {
      const exporter = new GatedExporter();
      const provider = createTracerProvider({ exporter, maxExportBatchSize: 1, ...options });
      const tracer = new AgentTracer({ agentName: 'env_agent', tracerProvider: provider });
      for (let i = 0; i < 5; i++) await tracer.run(async () => i);
      exporter.release();
      await provider.forceFlush();
      await provider.shutdown();
      return exporter.spans.length;
    }

    it('drops spans past the queue, and maxQueueSize wins over it', async () => {
      vi.stubEnv('OTEL_BSP_MAX_QUEUE_SIZE', '3');
      // one in the hung export, three queued, the fifth dropped
      expect(await exportedWhileBlocked()).toBe(4);
      expect(await exportedWhileBlocked({ maxQueueSize: 10 })).toBe(5);
    });
  });

  describe('OTEL_BSP_SCHEDULE_DELAY', () => {
    it('sets the delay between exports, and scheduledDelayMillis wins over it', async () => {
      vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '0');
      const exporter = new RecordingExporter();
      const provider = createTracerProvider({ exporter });
      const tracer = new AgentTracer({ agentName: 'env_agent', tracerProvider: provider });
      await tracer.run(async () => 1);
      // exported by the batch timer, no flush asked
      await vi.waitFor(() => expect(exporter.spans).toHaveLength(1), { timeout: 10_000 });
      await provider.shutdown();

      // an hour from the option: nothing can be exported before the flush
      const held = new RecordingExporter();
      const slow = createTracerProvider({ exporter: held, scheduledDelayMillis: 3_600_000 });
      await new AgentTracer({ agentName: 'env_agent', tracerProvider: slow }).run(async () => 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(held.spans).toHaveLength(0);
      await slow.forceFlush();
      expect(held.spans).toHaveLength(1);
      await slow.shutdown();
    });
  });

  describe('OTEL_BSP_EXPORT_TIMEOUT', () => {
    it('bounds an export that never answers, and exportTimeoutMillis wins over it', async () => {
      vi.stubEnv('OTEL_BSP_EXPORT_TIMEOUT', '50');
      const hanging = new RecordingExporter(true);
      const provider = createTracerProvider({ exporter: hanging });
      await new AgentTracer({ agentName: 'env_agent', tracerProvider: provider }).run(
        async () => 1,
      );
      // settles (the SDK rejects the timed-out flush) instead of waiting forever
      const outcome = await provider.forceFlush().then(
        () => 'resolved',
        () => 'rejected',
      );
      expect(outcome).toBe('rejected');
      expect(hanging.spans).toHaveLength(1);

      const patient = new RecordingExporter(true);
      const explicit = createTracerProvider({ exporter: patient, exportTimeoutMillis: 3_600_000 });
      await new AgentTracer({ agentName: 'env_agent', tracerProvider: explicit }).run(
        async () => 1,
      );
      const flushed = explicit.forceFlush().then(
        () => 'settled',
        () => 'settled',
      );
      const later = await Promise.race([
        flushed,
        new Promise((resolve) => setTimeout(() => resolve('pending'), 500)),
      ]);
      expect(later).toBe('pending');
    });
  });
});
