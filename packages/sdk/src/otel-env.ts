/**
 * The OpenTelemetry SDK environment, read the way the OTel SDK reads it: the
 * variables through `@opentelemetry/core`'s `get*FromEnv`, the resource
 * (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) through
 * `@opentelemetry/resources`' `envDetector`. Read once per
 * `createTracerProvider` call, never in the span path.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
import { diag } from '@opentelemetry/api';
import { getBooleanFromEnv, getNumberFromEnv, getStringFromEnv } from '@opentelemetry/core';
import { detectResources, envDetector, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';

/** What the environment asks of a tracer provider; unset variables are `undefined`. */
export interface OtelEnv {
  /** `OTEL_SDK_DISABLED=true`. */
  readonly disabled: boolean;
  /** `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`. */
  readonly resource: Resource;
  /** `OTEL_TRACES_SAMPLER` with `OTEL_TRACES_SAMPLER_ARG`. */
  readonly sampler: Sampler | undefined;
  /** `OTEL_BSP_SCHEDULE_DELAY`, in ms. */
  readonly scheduledDelayMillis: number | undefined;
  /** `OTEL_BSP_EXPORT_TIMEOUT`, in ms. */
  readonly exportTimeoutMillis: number | undefined;
  /** `OTEL_BSP_MAX_QUEUE_SIZE`. */
  readonly maxQueueSize: number | undefined;
  /** `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. */
  readonly maxExportBatchSize: number | undefined;
}

/** Reads the OTel SDK variables that apply to a tracer provider. */
export function readOtelEnv(): OtelEnv {
  return {
    disabled: getBooleanFromEnv('OTEL_SDK_DISABLED'),
    resource: detectResources({ detectors: [envDetector] }),
    sampler: samplerFromEnv(),
    scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
    maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  };
}

/** The spec's default when the variable is unset or unknown. */
const DEFAULT_SAMPLER = 'parentbased_always_on';

/** `OTEL_TRACES_SAMPLER`: the spec's built-in samplers; an unknown name warns and falls back. */
function samplerFromEnv(): Sampler | undefined {
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER');
  if (name === undefined) return undefined;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioFromEnv());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratioFromEnv()) });
    default:
      diag.warn(`OTEL_TRACES_SAMPLER: unknown sampler "${name}", using ${DEFAULT_SAMPLER}`);
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** `OTEL_TRACES_SAMPLER_ARG` as a ratio in [0, 1]; 1 when unset or invalid, as the SDK does. */
function ratioFromEnv(): number {
  const ratio = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG');
  if (ratio === undefined) return 1;
  if (ratio < 0 || ratio > 1) {
    diag.warn(`OTEL_TRACES_SAMPLER_ARG must be a number in [0, 1] (got ${ratio}), using 1`);
    return 1;
  }
  return ratio;
}
