/**
 * One `INSERT … FORMAT JSONEachRow` of a batch body, answered as a union:
 * `success | failure | retryable` (otlp-exporter-base `export-response.ts`).
 * The insert runs with tracing suppressed so the client's own spans never
 * come back into the pipeline, and carries the batch's
 * `insert_deduplication_token` so a retried batch is stored once.
 */
import { Readable } from 'node:stream';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ClickHouseClient } from '@clickhouse/client';
import type { StoreWriteError } from './errors.js';
import { TRACE_COLUMNS } from './row.js';
import { normalizeHttpError, normalizeStoreError } from './store-errors.js';

/** Result of one write attempt. */
export type WriteResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'failure'; readonly error: StoreWriteError }
  | {
      readonly kind: 'retryable';
      readonly error: StoreWriteError;
      readonly retryAfterMs?: number | undefined;
    };

/**
 * Runs `fn` with tracing suppressed, so the store client (and any HTTP
 * instrumentation under it) does not trace the exporter's own I/O. Wrap
 * every client call separately: work after an `await` may run outside.
 */
export function withoutTracing<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}

/** Backtick-quotes a ClickHouse identifier. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** Single-quotes a ClickHouse string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The insert statement for `database.table`, with the contrib column list. */
export function insertStatement(database: string, table: string): InsertStatement {
  const columns = TRACE_COLUMNS.map(quoteIdentifier).join(', ');
  return {
    head: `INSERT INTO ${quoteIdentifier(database)}.${quoteIdentifier(table)} (${columns})`,
  };
}

/** An insert statement without its SETTINGS and FORMAT clauses. */
export interface InsertStatement {
  readonly head: string;
}

/**
 * Pinned so that a server profile cannot change how rows are read: the
 * row mapper's `DateTime64(9)` text is exact under `basic` (see
 * `datetime64.ts`); `best_effort` could read it otherwise.
 */
const PINNED_INPUT_SETTINGS = "date_time_input_format = 'basic'";

/**
 * The full statement for one batch. The token goes into the statement's own
 * SETTINGS clause, not `clickhouse_settings`: chDB's connection applies those
 * as session-wide `SET`s, so a token would stick to later inserts.
 */
function batchQuery(statement: InsertStatement, deduplicationToken: string): string {
  return `${statement.head} SETTINGS insert_deduplication_token = ${quoteString(deduplicationToken)}, ${PINNED_INPUT_SETTINGS} FORMAT JSONEachRow`;
}

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' || typeof first === 'number' ? String(first) : undefined;
}

function classify(error: StoreWriteError): WriteResult {
  return error.retryable
    ? { kind: 'retryable', error, retryAfterMs: error.retryAfterMs }
    : { kind: 'failure', error };
}

/**
 * Inserts `body` (newline-separated `JSONEachRow` lines) with `statement`.
 * Never throws: every outcome is a {@link WriteResult}.
 */
export async function writeBatch(
  client: ClickHouseClient,
  statement: InsertStatement,
  body: string,
  deduplicationToken: string,
): Promise<WriteResult> {
  try {
    const result = await withoutTracing(() =>
      client.exec({
        query: batchQuery(statement, deduplicationToken),
        // A string chunk: chDB takes it as is, HTTP sends it as UTF-8.
        values: Readable.from([body]),
        // Keep the HTTP status and headers: clickhouse-js drops them on error answers.
        ignore_error_response: true,
      }),
    );
    const status = result.http_status_code ?? 200;
    const headers = result.response_headers as Record<string, unknown>;
    const exceptionCode = header(headers, 'x-clickhouse-exception-code');
    const text = await readText(result.stream);
    if (status >= 200 && status < 300 && exceptionCode === undefined) return { kind: 'success' };
    return classify(
      normalizeHttpError({
        status,
        body: text,
        exceptionCode,
        retryAfter: header(headers, 'retry-after'),
      }),
    );
  } catch (error) {
    return classify(normalizeStoreError(error));
  }
}
