/**
 * Reads a request body under a size limit and a deadline, then gunzips it
 * under a second size limit, so neither a large upload, a gzip bomb nor a
 * client that never finishes its body can exhaust memory or hold a slot.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  BodyTooLargeError,
  CollectorError,
  InvalidRequestError,
  RequestTimeoutError,
} from './errors.js';

const gunzipAsync = promisify(gunzip);

/** Limits of {@link readBody}. */
export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  /** The whole body must arrive within this many ms of the first read; none when absent. */
  readonly bodyTimeoutMs?: number;
  /**
   * The body must arrive within this many ms of {@link markRequestStart}
   * (of the first read when unmarked); none when absent.
   */
  readonly requestTimeoutMs?: number;
}

const requestStarts = new WeakMap<Request, number>();

/**
 * Records when `request` arrived, so `requestTimeoutMs` counts from there
 * and not from the first body read (time spent in earlier middleware counts).
 */
export function markRequestStart(request: Request, at: number = Date.now()): void {
  requestStarts.set(request, at);
}

interface Deadline {
  readonly at: number;
  readonly error: RequestTimeoutError;
}

/** The earlier of the body and the request deadline, or undefined when neither is set. */
function deadlineOf(request: Request, limits: BodyLimits): Deadline | undefined {
  const now = Date.now();
  const body =
    limits.bodyTimeoutMs === undefined
      ? undefined
      : {
          at: now + limits.bodyTimeoutMs,
          limit: 'bodyTimeoutMs' as const,
          ms: limits.bodyTimeoutMs,
        };
  const req =
    limits.requestTimeoutMs === undefined
      ? undefined
      : {
          at: (requestStarts.get(request) ?? now) + limits.requestTimeoutMs,
          limit: 'requestTimeoutMs' as const,
          ms: limits.requestTimeoutMs,
        };
  const first = body && req ? (req.at < body.at ? req : body) : (body ?? req);
  return first && { at: first.at, error: new RequestTimeoutError(first.limit, first.ms) };
}

/**
 * The body of `request` as bytes, decompressed when `Content-Encoding: gzip`.
 * Throws {@link BodyTooLargeError}, or {@link InvalidRequestError} for bad gzip,
 * or `CollectorError('unsupported_media_type')` for other encodings.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Buffer> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity')
    throw new CollectorError('unsupported_media_type', 'Content-Encoding must be gzip or identity');
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limits.maxBodyBytes) throw new BodyTooLargeError(limits.maxBodyBytes);
  const raw = await readLimited(request, limits.maxBodyBytes, deadlineOf(request, limits));
  if (encoding === 'identity') return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new BodyTooLargeError(limits.maxDecompressedBytes);
    throw new InvalidRequestError('body', 'is not valid gzip');
  }
}

async function readLimited(
  request: Request,
  max: number,
  deadline: Deadline | undefined,
): Promise<Buffer> {
  const body = request.body;
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  // One timer for the whole body, raced against every read: a stalled read
  // is abandoned at the deadline, so the caller's slot is freed at once.
  let timer: NodeJS.Timeout | undefined;
  const expired =
    deadline &&
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(deadline.error), Math.max(0, deadline.at - Date.now()));
    });
  expired?.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = await (expired
        ? Promise.race([reader.read(), expired])
        : reader.read());
      if (done) break;
      total += value.byteLength;
      if (total > max) throw new BodyTooLargeError(max);
      chunks.push(value);
    }
  } catch (err) {
    // Not awaited: a stalled stream may never settle its cancel.
    reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0] as Uint8Array) : Buffer.concat(chunks, total);
}

/**
 * Discards the body of a request refused before decoding, so the connection
 * can be reused: an unread body stalls keep-alive clients. Resolves at once,
 * so the refusal is answered without waiting for a body that may never end;
 * the draining goes on behind it and stops past `max` bytes, or when the
 * connection closes (the server's `requestTimeout` bounds a stalled one).
 */
export function discardBody(request: Request, max: number): Promise<void> {
  const body = request.body;
  if (!body || request.bodyUsed) return Promise.resolve();
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  void (async () => {
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        total += value.byteLength;
        if (total > max) {
          await reader.cancel();
          return;
        }
      }
    } catch {
      // The client went away: nothing to discard.
    }
  })();
  return Promise.resolve();
}
