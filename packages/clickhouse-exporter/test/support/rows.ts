/**
 * Builds span rows in the collector contrib clickhouseexporter's column
 * shape (`otel_traces`), with the attributes the agenttrace SDK writes, so
 * schema tests can insert realistic runs without the SDK.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { conventions as c } from '@agenttrace/sdk';

/** One `otel_traces` row as JSONEachRow, Nested columns flattened. */
export interface SpanRow {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: number;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Record<string, string>[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Record<string, string>[];
}

/** An event on a span. */
export interface EventSpec {
  name: string;
  atMs: number;
  attributes: Record<string, string>;
}

/** Common fields of the span builders; times are ms since the epoch. */
export interface SpanSpec {
  traceId: string;
  spanId?: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  durationMs: number;
  status?: 'Ok' | 'Error' | 'Unset' | 'STATUS_CODE_ERROR' | 'STATUS_CODE_OK' | 'STATUS_CODE_UNSET';
  kind?: string;
  service?: string;
  environment?: string;
  attributes?: Record<string, string | number | undefined>;
  events?: EventSpec[];
  links?: { traceId: string; spanId: string }[];
}

/** A random 32-hex-digit trace id. */
export const traceId = (): string => randomBytes(16).toString('hex');
/** A random 16-hex-digit span id. */
export const spanId = (): string => randomBytes(8).toString('hex');
/** A random run id, as the SDK makes them. */
export const runId = (): string => randomUUID();

/** ClickHouse DateTime64(9) text for ms since the epoch (UTC). */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function stringMap(attrs: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

/** Any span, in collector row shape. */
export function span(spec: SpanSpec): SpanRow {
  const events = spec.events ?? [];
  const links = spec.links ?? [];
  return {
    Timestamp: chTime(spec.startMs),
    TraceId: spec.traceId,
    SpanId: spec.spanId ?? spanId(),
    ParentSpanId: spec.parentSpanId ?? '',
    TraceState: '',
    SpanName: spec.name,
    SpanKind: spec.kind ?? 'Internal',
    ServiceName: spec.service ?? 'support-bot',
    ResourceAttributes: {
      [c.RESOURCE_SERVICE_NAME]: spec.service ?? 'support-bot',
      [c.RESOURCE_DEPLOYMENT_ENVIRONMENT]: spec.environment ?? 'production',
    },
    ScopeName: '@agenttrace/sdk',
    ScopeVersion: '0.1.0',
    SpanAttributes: stringMap(spec.attributes ?? {}),
    Duration: Math.round(spec.durationMs * 1e6),
    StatusCode: spec.status ?? 'Unset',
    StatusMessage: '',
    'Events.Timestamp': events.map((e) => chTime(e.atMs)),
    'Events.Name': events.map((e) => e.name),
    'Events.Attributes': events.map((e) => e.attributes),
    'Links.TraceId': links.map((l) => l.traceId),
    'Links.SpanId': links.map((l) => l.spanId),
    'Links.TraceState': links.map(() => ''),
    'Links.Attributes': links.map(() => ({})),
  };
}

/** Fields of a run span. */
export interface RunSpec extends Omit<SpanSpec, 'name'> {
  runId: string;
  agent: string;
  version?: string;
  runStatus?: 'success' | 'failure' | 'partial';
  origin?: string;
  parentRunId?: string;
  originRunId?: string;
  variant?: string;
  failure?: { type: string; code: string; step: string };
  /** One `agenttrace.failure` event each. */
  failures?: { type: string; code: string; step: string }[];
}

/** A run span as the SDK writes it. */
export function runSpan(spec: RunSpec): SpanRow {
  const failures = spec.failures ?? [];
  return span({
    ...spec,
    name: `${c.OPERATION.invokeAgent} ${spec.agent}`,
    status: spec.status ?? (spec.runStatus === 'failure' ? 'Error' : 'Unset'),
    attributes: {
      [c.ATTR_GEN_AI_OPERATION_NAME]: c.OPERATION.invokeAgent,
      [c.ATTR_GEN_AI_AGENT_NAME]: spec.agent,
      [c.ATTR_GEN_AI_AGENT_VERSION]: spec.version ?? '1.0.0',
      [c.ATTR_RUN_ID]: spec.runId,
      [c.ATTR_RUN_STATUS]: spec.runStatus ?? 'success',
      [c.ATTR_RUN_ORIGIN]: spec.origin ?? 'root',
      [c.ATTR_RUN_PARENT_ID]: spec.parentRunId,
      [c.ATTR_RUN_ORIGIN_ID]: spec.originRunId,
      [c.ATTR_VARIANT]: spec.variant,
      [c.ATTR_FAILURE_TYPE]: spec.failure?.type,
      [c.ATTR_FAILURE_CODE]: spec.failure?.code,
      [c.ATTR_FAILURE_STEP]: spec.failure?.step,
      ...spec.attributes,
    },
    events: [
      ...(spec.events ?? []),
      ...failures.map((f) => ({
        name: c.EVENT_FAILURE,
        atMs: spec.startMs + spec.durationMs,
        attributes: {
          [c.ATTR_FAILURE_TYPE]: f.type,
          [c.ATTR_FAILURE_CODE]: f.code,
          [c.ATTR_FAILURE_STEP]: f.step,
        },
      })),
    ],
  });
}

/** Fields of a step span. */
export interface StepSpec extends Omit<SpanSpec, 'name'> {
  runId?: string;
  /** The run's agent, version and variant, stamped on the step for the stats rollup. */
  agent?: string;
  version?: string;
  variant?: string;
  type: 'plan' | 'retrieve' | 'tool' | 'model' | 'respond' | 'other';
  stepName: string;
  attempt?: number;
  maxAttempts?: number;
  model?: string;
  provider?: string;
  tool?: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedTokens?: number;
  ttfcSeconds?: number;
  errorType?: string;
  httpStatus?: number;
  failure?: { type: string; code: string };
}

/** A step span as the SDK writes it. */
export function stepSpan(spec: StepSpec): SpanRow {
  const operation = c.STEP_OPERATION[spec.type];
  return span({
    ...spec,
    name: `${operation ?? spec.type} ${spec.stepName}`,
    attributes: {
      [c.ATTR_RUN_ID]: spec.runId,
      [c.ATTR_GEN_AI_AGENT_NAME]: spec.agent,
      [c.ATTR_GEN_AI_AGENT_VERSION]: spec.version,
      [c.ATTR_VARIANT]: spec.variant,
      [c.ATTR_STEP_TYPE]: spec.type,
      [c.ATTR_STEP_NAME]: spec.stepName,
      [c.ATTR_GEN_AI_OPERATION_NAME]: operation,
      [c.ATTR_GEN_AI_TOOL_NAME]: spec.tool,
      [c.ATTR_GEN_AI_REQUEST_MODEL]: spec.model,
      [c.ATTR_GEN_AI_RESPONSE_MODEL]: spec.model,
      [c.ATTR_GEN_AI_PROVIDER_NAME]: spec.provider,
      [c.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: spec.inputTokens,
      [c.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: spec.outputTokens,
      [c.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: spec.cachedTokens,
      [c.ATTR_STEP_ATTEMPT]: spec.attempt ?? 1,
      [c.ATTR_STEP_MAX_ATTEMPTS]: spec.maxAttempts,
      [c.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: spec.ttfcSeconds,
      [c.ATTR_ERROR_TYPE]: spec.errorType,
      [c.ATTR_HTTP_RESPONSE_STATUS_CODE]: spec.httpStatus,
      [c.ATTR_FAILURE_TYPE]: spec.failure?.type,
      [c.ATTR_FAILURE_CODE]: spec.failure?.code,
      ...spec.attributes,
    },
  });
}

/** Fields of a feedback span. */
export interface FeedbackSpec extends Omit<SpanSpec, 'name'> {
  metric: string;
  score?: number;
  label?: string;
  runId?: string;
}

/** A feedback span as the SDK writes it. */
export function feedbackSpan(spec: FeedbackSpec): SpanRow {
  return span({
    ...spec,
    name: `${c.SPAN_NAME_FEEDBACK} ${spec.metric}`,
    attributes: {
      [c.ATTR_GEN_AI_EVALUATION_NAME]: spec.metric,
      [c.ATTR_GEN_AI_EVALUATION_SCORE_VALUE]: spec.score,
      [c.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]: spec.label,
      [c.ATTR_FEEDBACK_RUN_ID]: spec.runId,
      ...spec.attributes,
    },
  });
}

/** Inserts rows into `database.table` (default `otel_traces`). */
export async function insertSpans(
  client: ClickHouseClient,
  database: string,
  spans: SpanRow[],
  table = 'otel_traces',
): Promise<void> {
  await client.insert({ table: `${database}.${table}`, values: spans, format: 'JSONEachRow' });
}
