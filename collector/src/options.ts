/**
 * Options of {@link createCollector} and their one resolver: defaults are
 * filled in here, and an invalid value throws a {@link CollectorError} naming
 * the field, what was expected and what was given.
 */
import {
  MIN_SESSION_KEY_BYTES,
  SessionPseudonymizer,
  type PrivacyPolicy,
  type PrivacyPolicyOptions,
} from '@agenttrace/sdk';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { CollectorError } from './errors.js';
import { silentLogger, type CollectorLogger } from './logger.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './otlp/limits.js';

/** Tail sampling of successful runs; failed runs are always kept whole. */
export interface TailSamplingOptions {
  /** Share of successful traces kept, by a hash of the trace id (deterministic). @default 1 */
  successRate?: number;
  /** How long spans of a trace wait for its run (root) span before a decision. @default 30_000 */
  decisionWaitMs?: number;
  /** Spans held while waiting; past it the oldest traces are decided early. @default 10_000 */
  maxBufferedSpans?: number;
  /**
   * Directory of the tail spool: spans waiting for a decision are fsynced
   * there before the 200, and replayed on start. Without it they wait in
   * memory only (a crash loses them). One collector per directory.
   * @default undefined (the collector service sets `<spool dir>-tail`)
   */
  spoolDir?: string;
  /** Most bytes the tail spool holds; past it requests are answered 503. @default 268_435_456 */
  maxSpoolBytes?: number;
}

/** Tail sampling with its defaults filled in. */
export type ResolvedTailSampling = Required<Omit<TailSamplingOptions, 'spoolDir'>> & {
  readonly spoolDir?: string;
};

/** Options of `createCollector`. Every field but `exporter` is optional. */
export interface CollectorOptions {
  /** Where accepted, filtered spans go (the ClickHouse exporter in production). */
  exporter: SpanExporter;
  /** Bearer tokens accepted on `/v1/traces`; empty means no authentication. @default [] */
  tokens?: readonly string[];
  /** The allowlist policy, or options extending the default one. @default the default policy */
  policy?: PrivacyPolicy | PrivacyPolicyOptions;
  /**
   * The HMAC-SHA-256 key (32+ bytes) under which session and user ids
   * become pseudonyms (`agenttrace.session.id`, `agenttrace.user.id`). Give
   * the SDK the same key to get the same pseudonyms on both paths. Without
   * it, session ids are dropped and counted, never stored.
   * @default undefined (no sessions)
   */
  sessionKey?: string | Uint8Array;
  /** Also store end-user pseudonyms (`agenttrace.user.id`); needs `sessionKey`. @default false */
  pseudonymizeUserId?: boolean;
  /** Largest request body as sent (compressed or not), in bytes. @default 4_194_304 */
  maxBodyBytes?: number;
  /** Largest body after gunzip, in bytes. @default 16_777_216 */
  maxDecompressedBytes?: number;
  /** Requests processed at once; more are answered 503. @default 32 */
  maxConcurrentRequests?: number;
  /**
   * The whole body of a `/v1/traces` request must arrive within this many ms
   * of the handler starting to read it; later, 408 and the connection is
   * closed. Bounds how long a slow client holds a `maxConcurrentRequests` slot.
   * Also the HTTP server's `headersTimeout`.
   * @default 10_000
   */
  bodyTimeoutMs?: number;
  /**
   * A request must be received within this many ms of its arrival; later,
   * 408 and the connection is closed (`/v1/traces` in OTLP encoding, other
   * routes in JSON). The HTTP server's `requestTimeout` is this plus one
   * second, a backstop for routes that read no body. At least `bodyTimeoutMs`.
   * @default 30_000
   */
  requestTimeoutMs?: number;
  /**
   * Largest request body on every route but `/v1/traces` (`maxBodyBytes`)
   * and `/v1/sql` (its own limit), in bytes; counted while reading, 413 past it.
   * @default 65_536
   */
  maxRouteBodyBytes?: number;
  /** Spans accepted but not yet exported (queued or buffered for sampling); past it, 429. @default 16_384 */
  maxQueueSpans?: number;
  /** Spans handed to the exporter in one `export` call. @default 1_024 */
  maxExportBatchSize?: number;
  /**
   * Wait for a fuller batch at most this long, in ms. With 0, requests that
   * arrive while an export is under way go together in the next one.
   * @default 0
   */
  exportDelayMs?: number;
  /** An `export` call that has not called back by then counts as failed, in ms. @default 30_000 */
  exportTimeoutMs?: number;
  /**
   * Attempts for spans no client waits for (tail-sampling releases) before
   * they are dropped (counted as `export_failed`). A client's request is
   * tried once: on failure it is answered 503 and the client retries.
   * @default 10
   */
  maxExportAttempts?: number;
  /** `Retry-After` sent with 429 and 503, in seconds. @default 1 */
  retryAfterSeconds?: number;
  /** Decoding limits. @default see `DEFAULT_DECODE_LIMITS` */
  limits?: Partial<DecodeLimits>;
  /**
   * Spans the exporter still holds after acknowledging them (an exporter
   * that queues, such as `ClickHouseSpanExporter`: `() => exporter.stats.queuedSpans`).
   * Counted against `maxQueueSpans`, so clients get 429 before the exporter's
   * own queue overflows. A throw counts as 0.
   * @default () => 0
   */
  downstreamBacklog?: () => number;
  /**
   * Which of the given spans (`traceId:spanId`) are already stored: asked on
   * start about kept spans the tail spool replays whose exporter
   * acknowledgement a crash may have cut off, so they are not stored twice.
   * The collector service asks the store. Without it they are exported again.
   * @default undefined
   */
  storedSpans?: (keys: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Tail sampling; off unless given. @default undefined */
  tailSampling?: TailSamplingOptions;
  /** Structured logger. @default a logger that discards */
  logger?: CollectorLogger;
}

/** Options with every default filled in. */
export interface ResolvedCollectorOptions {
  readonly exporter: SpanExporter;
  readonly tokens: readonly string[];
  readonly policy: PrivacyPolicy | PrivacyPolicyOptions;
  /** Built from `sessionKey`; `undefined` without one. */
  readonly pseudonymizer: SessionPseudonymizer | undefined;
  readonly pseudonymizeUserId: boolean;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  readonly maxConcurrentRequests: number;
  readonly bodyTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxRouteBodyBytes: number;
  readonly maxQueueSpans: number;
  readonly maxExportBatchSize: number;
  readonly exportDelayMs: number;
  readonly exportTimeoutMs: number;
  readonly maxExportAttempts: number;
  readonly retryAfterSeconds: number;
  readonly limits: DecodeLimits;
  readonly downstreamBacklog: () => number;
  readonly storedSpans?: (keys: readonly string[]) => Promise<ReadonlySet<string>>;
  readonly tailSampling: ResolvedTailSampling | undefined;
  readonly logger: CollectorLogger;
}

const positive = z.number().int().positive();
const nonNegative = z.number().int().nonnegative();

const schema = z.object({
  exporter: z.custom<SpanExporter>(
    (v) => typeof v === 'object' && v !== null && typeof (v as SpanExporter).export === 'function',
    'must be a SpanExporter',
  ),
  tokens: z.array(z.string().min(16, 'must be at least 16 characters')).default([]),
  policy: z
    .custom<PrivacyPolicy | PrivacyPolicyOptions>((v) => typeof v === 'object' && v !== null)
    .default({}),
  sessionKey: z
    .union([z.string(), z.instanceof(Uint8Array)])
    .refine(
      (v) =>
        (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length) >= MIN_SESSION_KEY_BYTES,
      `must be at least ${MIN_SESSION_KEY_BYTES} bytes`,
    )
    .optional(),
  pseudonymizeUserId: z.boolean().default(false),
  maxBodyBytes: positive.default(4 * 1024 * 1024),
  maxDecompressedBytes: positive.default(16 * 1024 * 1024),
  maxConcurrentRequests: positive.default(32),
  bodyTimeoutMs: positive.default(10_000),
  requestTimeoutMs: positive.default(30_000),
  maxRouteBodyBytes: positive.default(64 * 1024),
  maxQueueSpans: positive.default(16_384),
  maxExportBatchSize: positive.default(1_024),
  exportDelayMs: nonNegative.default(0),
  exportTimeoutMs: positive.default(30_000),
  maxExportAttempts: positive.default(10),
  retryAfterSeconds: positive.default(1),
  limits: z
    .object({
      maxAttributes: positive.default(DEFAULT_DECODE_LIMITS.maxAttributes),
      maxEvents: positive.default(DEFAULT_DECODE_LIMITS.maxEvents),
      maxLinks: positive.default(DEFAULT_DECODE_LIMITS.maxLinks),
      maxStringLength: positive.default(DEFAULT_DECODE_LIMITS.maxStringLength),
      maxArrayLength: positive.default(DEFAULT_DECODE_LIMITS.maxArrayLength),
      maxValueDepth: positive.max(64).default(DEFAULT_DECODE_LIMITS.maxValueDepth),
    })
    .default(DEFAULT_DECODE_LIMITS),
  downstreamBacklog: z
    .custom<() => number>((v) => typeof v === 'function', 'must be a function')
    .default(() => () => 0),
  storedSpans: z
    .custom<(keys: readonly string[]) => Promise<ReadonlySet<string>>>(
      (v) => typeof v === 'function',
      'must be a function',
    )
    .optional(),
  tailSampling: z
    .object({
      successRate: z.number().min(0).max(1).default(1),
      decisionWaitMs: positive.default(30_000),
      maxBufferedSpans: positive.default(10_000),
      spoolDir: z.string().min(1).optional(),
      maxSpoolBytes: positive.default(268_435_456),
    })
    .optional(),
  logger: z
    .custom<CollectorLogger>(
      (v) =>
        typeof v === 'object' && v !== null && typeof (v as CollectorLogger).info === 'function',
      'must be a CollectorLogger',
    )
    .default(silentLogger),
});

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** Fills in defaults; throws `CollectorError('invalid_options')` naming the first bad field. */
export function resolveOptions(options: CollectorOptions): ResolvedCollectorOptions {
  const result = schema.safeParse(options);
  if (result.success) {
    const r = result.data;
    if (r.maxDecompressedBytes < r.maxBodyBytes)
      throw new CollectorError(
        'invalid_options',
        `maxDecompressedBytes must be at least maxBodyBytes (${r.maxBodyBytes}) (got ${r.maxDecompressedBytes})`,
      );
    if (r.requestTimeoutMs < r.bodyTimeoutMs)
      throw new CollectorError(
        'invalid_options',
        `requestTimeoutMs must be at least bodyTimeoutMs (${r.bodyTimeoutMs}) (got ${r.requestTimeoutMs})`,
      );
    const { sessionKey, ...rest } = r;
    return {
      ...rest,
      tailSampling: r.tailSampling,
      pseudonymizer: sessionKey === undefined ? undefined : new SessionPseudonymizer(sessionKey),
    };
  }
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') || '(options)';
  let value: unknown = options;
  for (const key of issue?.path ?? [])
    value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  // Token and key values are secrets: describe, never print them.
  throw new CollectorError(
    'invalid_options',
    `${path} ${issue?.message ?? 'is invalid'} (got ${describe(value)})`,
  );
}
