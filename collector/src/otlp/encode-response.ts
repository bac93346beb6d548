/**
 * Encodes the collector's answers in the request's content type:
 * `ExportTraceServiceResponse` on success, `google.rpc.Status` on failure,
 * as the OTLP/HTTP specification asks.
 */
import protobuf from 'protobufjs/minimal.js';

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

/** Content types of the two encodings. */
export const CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** gRPC status codes used in `google.rpc.Status` bodies. */
export const GRPC_CODE = {
  invalidArgument: 3,
  resourceExhausted: 8,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;

/** An `ExportTraceServiceResponse`, with `partialSuccess` when spans were rejected. */
export function encodeExportResponse(
  encoding: OtlpEncoding,
  rejectedSpans: number,
  errorMessage: string | undefined,
): Uint8Array | string {
  if (encoding === 'json') {
    return rejectedSpans > 0
      ? JSON.stringify({ partialSuccess: { rejectedSpans, errorMessage: errorMessage ?? '' } })
      : '{}';
  }
  if (rejectedSpans === 0) return new Uint8Array(0);
  const w = protobuf.Writer.create();
  w.uint32(10).fork().uint32(8).int64(rejectedSpans);
  if (errorMessage) w.uint32(18).string(errorMessage);
  return w.ldelim().finish();
}

/** A `google.rpc.Status` carrying `message`. */
export function encodeStatus(
  encoding: OtlpEncoding,
  code: number,
  message: string,
): Uint8Array | string {
  if (encoding === 'json') return JSON.stringify({ code, message });
  return protobuf.Writer.create().uint32(8).int32(code).uint32(18).string(message).finish();
}
