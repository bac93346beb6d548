/**
 * A load generator for the collector benches: one OTLP protobuf body,
 * encoded once by the official serializer, posted again and again over
 * keep-alive connections. On a 2-core machine the client shares the cores
 * with the collector; encoding every request anew would bill the client's
 * work to the collector.
 */
import http from 'node:http';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** A `SpanExporter` that ignores the spans it is given and posts `spans`, encoded once. */
export function rawOtlpClient(url: string, spans: ReadableSpan[]): SpanExporter {
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  return {
    export(_spans, done: (result: ExportResult) => void) {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-protobuf',
            'content-length': String(body.length),
          },
        },
        (res) => {
          res.resume();
          res.once('end', () =>
            done(
              res.statusCode === 200
                ? { code: ExportResultCode.SUCCESS }
                : { code: ExportResultCode.FAILED, error: new Error(`HTTP ${res.statusCode}`) },
            ),
          );
        },
      );
      req.once('error', (error) => done({ code: ExportResultCode.FAILED, error }));
      req.end(body);
    },
    shutdown: () => {
      agent.destroy();
      return Promise.resolve();
    },
  };
}
