/**
 * Reads a request body under a size limit, then gunzips it under a second
 * limit, so neither a large upload nor a gzip bomb can exhaust memory.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { BodyTooLargeError, CollectorError, InvalidRequestError } from './errors.js';

const gunzipAsync = promisify(gunzip);

/** Limits of {@link readBody}. */
export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
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
  const raw = await readLimited(request, limits.maxBodyBytes);
  if (encoding === 'identity') return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new BodyTooLargeError(limits.maxDecompressedBytes);
    throw new InvalidRequestError('body', 'is not valid gzip');
  }
}

async function readLimited(request: Request, max: number): Promise<Buffer> {
  const body = request.body;
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(max);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0] as Uint8Array) : Buffer.concat(chunks, total);
}

/**
 * Reads and discards the body of a request refused before decoding, so the
 * connection can be reused: an unread body stalls keep-alive clients. Stops
 * (and the connection is dropped) past `max` bytes.
 */
export async function discardBody(request: Request, max: number): Promise<void> {
  const body = request.body;
  if (!body || request.bodyUsed) return;
  const reader = (body as ReadableStream<Uint8Array>).getReader();
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
}
