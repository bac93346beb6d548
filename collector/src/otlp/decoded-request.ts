/**
 * What a decoder returns for one `ExportTraceServiceRequest`: the valid
 * spans, and how many were rejected, with the first reason.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InvalidSpanError } from '../errors.js';

/** The decoded request. */
export interface DecodedRequest {
  /** Spans that passed validation. */
  readonly spans: ReadableSpan[];
  /** Spans rejected by validation. */
  rejected: number;
  /** The first rejection's message (field and problem, never content). */
  firstError: string | undefined;
}

/** An empty result to fill. */
export function emptyDecodedRequest(): DecodedRequest {
  return { spans: [], rejected: 0, firstError: undefined };
}

/** Counts `err` as one rejected span when it is an {@link InvalidSpanError}; rethrows anything else. */
export function rejectSpan(out: DecodedRequest, err: unknown): void {
  if (!(err instanceof InvalidSpanError)) throw err;
  out.rejected++;
  out.firstError ??= err.message;
}
