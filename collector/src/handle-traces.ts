/**
 * `POST /v1/traces` per the OTLP/HTTP specification: content type, size and
 * encoding checks, decoding, admission against the bounded queue, and the
 * answer in the request's own encoding.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { CollectorError, InvalidRequestError } from './errors.js';
import type { CollectorLogger } from './logger.js';
import type { CollectorMetrics } from './metrics.js';
import type { ResolvedCollectorOptions } from './options.js';
import { decodeJsonRequest } from './otlp/decode-json.js';
import { decodeProtobufRequest } from './otlp/decode-protobuf.js';
import type { DecodedRequest } from './otlp/decoded-request.js';
import {
  CONTENT_TYPES,
  encodeExportResponse,
  encodeStatus,
  GRPC_CODE,
  type OtlpEncoding,
} from './otlp/encode-response.js';
import type { Pipeline } from './pipeline.js';
import { discardBody, readBody } from './read-body.js';

/** What the handler needs from the collector. */
export interface TracesContext {
  readonly options: ResolvedCollectorOptions;
  readonly metrics: CollectorMetrics;
  readonly pipeline: Pipeline;
  readonly logger: CollectorLogger;
  readonly verify: (authorization: string | undefined) => boolean;
  /** Requests being processed; the caller counts. */
  active: number;
  closing: boolean;
}

function encodingOf(contentType: string | null): OtlpEncoding | undefined {
  const media = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

function reply(
  ctx: TracesContext,
  status: number,
  encoding: OtlpEncoding,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Response {
  ctx.metrics.request(status);
  return new Response(body, {
    status,
    headers: { 'content-type': CONTENT_TYPES[encoding], ...headers },
  });
}

/** Refusals (401, 429, 503) are logged at most this often per status; metrics count them all. */
const REFUSAL_WARNING_INTERVAL_MS = 10_000;
const lastWarned = new Map<number, number>();

function fail(
  ctx: TracesContext,
  status: number,
  encoding: OtlpEncoding,
  grpc: number,
  message: string,
  headers?: Record<string, string>,
): Response {
  if (status >= 500 || status === 429 || status === 401) {
    // Under sustained backpressure every request is refused: warn once per interval, count the rest.
    const now = Date.now();
    if (now - (lastWarned.get(status) ?? 0) >= REFUSAL_WARNING_INTERVAL_MS) {
      lastWarned.set(status, now);
      ctx.logger.warn('request refused', { status, reason: message });
    }
  } else ctx.logger.debug('request rejected', { status, reason: message });
  return reply(ctx, status, encoding, encodeStatus(encoding, grpc, message), headers);
}

/** How a failed export is answered: nothing of the request was acknowledged. */
function refusalOf(error: Error | undefined): {
  status: number;
  grpc: number;
  reason: 'queue_full' | 'unavailable';
  message: string;
} {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'QUEUE_OVERFLOW')
    return {
      status: 429,
      grpc: GRPC_CODE.resourceExhausted,
      reason: 'queue_full',
      message: 'the exporter queue is full',
    };
  const message =
    code === 'SPOOL_FULL'
      ? 'the spool is full: the store is behind'
      : code === 'EXPORTER_SHUT_DOWN' || code === 'shutting_down'
        ? 'the collector is shutting down'
        : 'the spans could not be made durable; nothing was stored';
  return { status: 503, grpc: GRPC_CODE.unavailable, reason: 'unavailable', message };
}

/** Answers one `POST /v1/traces`. Never throws. */
export async function handleTraces(request: Request, ctx: TracesContext): Promise<Response> {
  const response = await route(request, ctx);
  // Refused before its body was read: drain it so keep-alive clients are not stalled.
  if (!request.bodyUsed) await discardBody(request, ctx.options.maxBodyBytes);
  return response;
}

async function route(request: Request, ctx: TracesContext): Promise<Response> {
  const o = ctx.options;
  const retry = { 'retry-after': String(o.retryAfterSeconds) };
  const encoding = encodingOf(request.headers.get('content-type'));
  if (!ctx.verify(request.headers.get('authorization') ?? undefined)) {
    return fail(
      ctx,
      401,
      encoding ?? 'json',
      GRPC_CODE.unauthenticated,
      'a valid bearer token is required',
      {
        'www-authenticate': 'Bearer',
      },
    );
  }
  if (encoding === undefined)
    return fail(
      ctx,
      415,
      'json',
      GRPC_CODE.invalidArgument,
      'Content-Type must be application/x-protobuf or application/json',
    );
  if (ctx.closing)
    return fail(ctx, 503, encoding, GRPC_CODE.unavailable, 'the collector is shutting down', retry);
  if (ctx.active >= o.maxConcurrentRequests)
    return fail(ctx, 503, encoding, GRPC_CODE.unavailable, 'too many concurrent requests', retry);
  if (!ctx.pipeline.hasRoom(1))
    return fail(ctx, 429, encoding, GRPC_CODE.resourceExhausted, 'the export queue is full', retry);
  ctx.active++;
  try {
    return await decodeAndAccept(request, encoding, ctx, retry);
  } finally {
    ctx.active--;
  }
}

async function decodeAndAccept(
  request: Request,
  encoding: OtlpEncoding,
  ctx: TracesContext,
  retry: Record<string, string>,
): Promise<Response> {
  const o = ctx.options;
  let decoded: DecodedRequest;
  try {
    const body = await readBody(request, o);
    decoded =
      encoding === 'protobuf'
        ? decodeProtobufRequest(body, o.limits)
        : decodeJsonRequest(body.toString('utf8'), o.limits);
  } catch (err) {
    if (err instanceof CollectorError) {
      if (err.code === 'request_timeout')
        return fail(ctx, 408, encoding, 4 /* DEADLINE_EXCEEDED */, err.message);
      if (err.code === 'body_too_large')
        return fail(ctx, 413, encoding, GRPC_CODE.invalidArgument, err.message);
      if (err.code === 'unsupported_media_type')
        return fail(ctx, 415, encoding, GRPC_CODE.invalidArgument, err.message);
      return fail(ctx, 400, encoding, GRPC_CODE.invalidArgument, err.message);
    }
    // A bug or an input no check foresaw: refuse the request, name no content.
    ctx.logger.error('decoding failed unexpectedly', { error: (err as Error)?.name });
    const e = new InvalidRequestError('request', 'could not be decoded');
    return fail(ctx, 400, encoding, GRPC_CODE.invalidArgument, e.message);
  }
  const { spans, rejected, firstError } = decoded;
  ctx.metrics.received += spans.length + rejected;
  ctx.metrics.reject('invalid', rejected);
  if (spans.length === 0 && rejected > 0)
    return fail(
      ctx,
      400,
      encoding,
      GRPC_CODE.invalidArgument,
      firstError ?? 'every span was invalid',
    );
  if (spans.length > o.maxQueueSpans) {
    // No amount of waiting makes room for it: tell the client to split it.
    ctx.metrics.reject('too_large', spans.length);
    return fail(
      ctx,
      413,
      encoding,
      GRPC_CODE.invalidArgument,
      `resourceSpans: the request holds ${spans.length} valid spans; at most ${o.maxQueueSpans} (maxQueueSpans) fit in one request: send it in smaller parts`,
    );
  }
  if (!ctx.pipeline.hasRoom(spans.length)) {
    ctx.metrics.reject('queue_full', spans.length);
    return fail(ctx, 429, encoding, GRPC_CODE.resourceExhausted, 'the export queue is full', retry);
  }
  // Acknowledged only once the exporter called back: with a spool, once on disk.
  const result = await ctx.pipeline.accept(spans);
  if (result.code !== ExportResultCode.SUCCESS) {
    const refusal = refusalOf(result.error);
    ctx.metrics.reject(refusal.reason, spans.length);
    return fail(ctx, refusal.status, encoding, refusal.grpc, refusal.message, retry);
  }
  const message = rejected > 1 ? `${firstError ?? ''} (and ${rejected - 1} more)` : firstError;
  return reply(ctx, 200, encoding, encodeExportResponse(encoding, rejected, message));
}
