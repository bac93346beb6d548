#!/usr/bin/env -S npx tsx
/**
 * The collector's entry: reads the environment (only here), logs JSON lines
 * to stderr, and closes cleanly on SIGINT/SIGTERM. Until the ClickHouse
 * exporter is plugged in, spans go to a console-free no-op exporter.
 *
 * AGENTTRACE_COLLECTOR_PORT   default 4318
 * AGENTTRACE_COLLECTOR_HOST   default 127.0.0.1
 * AGENTTRACE_COLLECTOR_TOKENS comma-separated bearer tokens; none = no auth
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createCollector } from './create-collector.js';
import { createJsonLineLogger } from './logger.js';

const logger = createJsonLineLogger((line) => process.stderr.write(line));

/** Accepts and discards: stands in until the ClickHouse exporter is wired. */
const discardExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.AGENTTRACE_COLLECTOR_PORT ?? 4318);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(
      `AGENTTRACE_COLLECTOR_PORT must be an integer in 0..65535 (got ${env.AGENTTRACE_COLLECTOR_PORT})`,
    );
  const host = env.AGENTTRACE_COLLECTOR_HOST ?? '127.0.0.1';
  const tokens = (env.AGENTTRACE_COLLECTOR_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tokens.length === 0)
    logger.warn('no AGENTTRACE_COLLECTOR_TOKENS: /v1/traces accepts unauthenticated requests');
  const collector = createCollector({ exporter: discardExporter, tokens, logger });
  await collector.listen(port, host);
  const stop = (signal: string) => {
    logger.info('stopping', { signal });
    collector.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  logger.error('collector failed to start', {
    error: err instanceof Error ? err.message : 'unknown',
  });
  process.exit(1);
});
