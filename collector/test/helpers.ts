/**
 * Shared test set-up: a collector on 127.0.0.1 port 0 exporting into an
 * `InMemorySpanExporter`, and small helpers to post raw bodies.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/minimal.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createCollector, type Collector, type CollectorOptions } from '../src/index.js';

/** A listening collector and where to reach it. */
export interface TestCollector {
  readonly collector: Collector;
  readonly exporter: InMemorySpanExporter;
  readonly url: string;
}

/** Starts a collector with test-friendly defaults (no export delay). */
export async function startCollector(
  options: Partial<CollectorOptions> & { exporter?: SpanExporter } = {},
): Promise<TestCollector> {
  const exporter = new InMemorySpanExporter();
  const collector = createCollector({ exporter, exportDelayMs: 0, ...options });
  const address = await collector.listen(0, '127.0.0.1');
  return { collector, exporter, url: `http://127.0.0.1:${address.port}` };
}

/** POSTs `body` to `/v1/traces`. */
export function post(
  url: string,
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, ...headers },
  });
}

/** A random lowercase hex string of `bytes` bytes. */
export function hexId(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** Reads `ExportTraceServiceResponse.partial_success` from a protobuf answer. */
export function readPartialSuccess(bytes: Uint8Array): {
  rejectedSpans: number;
  errorMessage: string;
} {
  const out = { rejectedSpans: 0, errorMessage: '' };
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1) out.rejectedSpans = Number(r.int64());
      else if (t >>> 3 === 2) out.errorMessage = r.string();
      else r.skipType(t & 7);
    }
  }
  return out;
}
