/**
 * Typed errors of the collector. Messages name the field and the problem,
 * never the content that was sent: they go back to clients and into logs.
 */

/** Codes of {@link CollectorError}. */
export type CollectorErrorCode =
  | 'invalid_options'
  | 'invalid_request'
  | 'invalid_span'
  | 'body_too_large'
  | 'request_timeout'
  | 'unsupported_media_type'
  | 'queue_full'
  | 'shutting_down';

/** Base class of every error the collector throws or answers with. */
export class CollectorError extends Error {
  override readonly name: string = 'CollectorError';
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request whose structure cannot be decoded: the whole request is answered
 * `400`. `field` is a path such as `resourceSpans[0].scopeSpans[1]`.
 */
export class InvalidRequestError extends CollectorError {
  override readonly name = 'InvalidRequestError';
  override readonly code = 'invalid_request' as const;
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super('invalid_request', `${field}: ${problem}`);
  }
}

/**
 * One span that decoded but failed validation (ids, times, enums, limits):
 * that span is rejected and counted in `partialSuccess`, the rest go on.
 */
export class InvalidSpanError extends CollectorError {
  override readonly name = 'InvalidSpanError';
  override readonly code = 'invalid_span' as const;
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super('invalid_span', `${field}: ${problem}`);
  }
}

/** The body, compressed or not, is larger than `maxBodyBytes`. */
export class BodyTooLargeError extends CollectorError {
  override readonly name = 'BodyTooLargeError';
  override readonly code = 'body_too_large' as const;
  constructor(limit: number) {
    super('body_too_large', `request body exceeds ${limit} bytes`);
  }
}

/**
 * The body did not arrive within `bodyTimeoutMs`, or the request took longer
 * than `requestTimeoutMs`: answered `408` and the connection is closed, so a
 * slow client cannot hold one of the `maxConcurrentRequests` slots.
 */
export class RequestTimeoutError extends CollectorError {
  override readonly name = 'RequestTimeoutError';
  override readonly code = 'request_timeout' as const;
  constructor(
    /** The option whose limit was reached. */
    readonly limit: 'bodyTimeoutMs' | 'requestTimeoutMs',
    readonly ms: number,
  ) {
    super(
      'request_timeout',
      limit === 'bodyTimeoutMs'
        ? `request body not received within ${ms} ms (bodyTimeoutMs)`
        : `request not completed within ${ms} ms (requestTimeoutMs)`,
    );
  }
}

/**
 * `err` with its field path prefixed by `prefix` (`spans[3]` + `traceId` →
 * `spans[3].traceId`). Decoders throw relative paths and prefix them only
 * when an error passes, so valid input builds no path strings.
 */
export function prefixField(err: unknown, prefix: string): unknown {
  if (!(err instanceof InvalidSpanError) && !(err instanceof InvalidRequestError)) return err;
  const field = err.field.startsWith('[') ? `${prefix}${err.field}` : `${prefix}.${err.field}`;
  return err instanceof InvalidSpanError
    ? new InvalidSpanError(field, err.problem)
    : new InvalidRequestError(field, err.problem);
}
