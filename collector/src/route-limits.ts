/**
 * The default body limit of every route that does not read its body under
 * its own limit (`/v1/traces` streams under `maxBodyBytes`, `/v1/sql` has its
 * own): a declared length past the limit is refused before a byte is read, a
 * chunked body is counted while it is read (Hono's `bodyLimit`), and refusals
 * close the connection so the rest of the upload is never read.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** Routes that enforce their own body limit while reading. */
export const SELF_LIMITED_PATHS: ReadonlySet<string> = new Set(['/v1/traces', '/v1/sql']);

/** gRPC `INVALID_ARGUMENT`, the `code` of the collector's JSON error bodies. */
const INVALID_ARGUMENT = 3;

function tooLarge(c: Context, max: number): Response {
  return c.json(
    {
      code: INVALID_ARGUMENT,
      message: `request body exceeds ${max} bytes (maxRouteBodyBytes)`,
    },
    413,
    { connection: 'close' },
  );
}

/**
 * Middleware refusing bodies over `max` bytes with 413 on every route but
 * {@link SELF_LIMITED_PATHS}.
 *
 * @example
 * app.use('*', routeBodyLimit(64 * 1024));
 */
export function routeBodyLimit(max: number): MiddlewareHandler {
  const counted = bodyLimit({ maxSize: max, onError: (c) => tooLarge(c, max) });
  return async (c, next) => {
    if (SELF_LIMITED_PATHS.has(c.req.path)) return next();
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > max) return tooLarge(c, max);
    if (c.req.raw.body) return counted(c, next);
    await next();
    // A GET or HEAD body is never handed to the app: close rather than read it to reuse the connection.
    if (declared > 0 || c.req.header('transfer-encoding') !== undefined)
      c.res.headers.set('connection', 'close');
  };
}
