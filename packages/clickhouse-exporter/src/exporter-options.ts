/**
 * Options of {@link ClickHouseSpanExporter} and their one resolver: zod
 * validates, defaults are applied here and nowhere else.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DEAD_LETTER_SUBDIR, DEFAULT_MAX_DEAD_LETTER_BYTES } from './dead-letter.js';
import { InvalidOptionsError } from './errors.js';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_ELAPSED_MS } from './exporter-retry.js';
import type { Store } from './store.js';
import {
  parseOptions,
  positiveInt,
  resolveStoreFields,
  storeOptionsShape,
  type ResolvedStoreOptions,
  type StoreOptions,
} from './store-options.js';

/** Default traces table: the contrib collector exporter's name. */
export const DEFAULT_TRACES_TABLE = 'otel_traces';
/** Default most spans in one insert. */
export const DEFAULT_MAX_BATCH_SIZE = 5_000;
/** Default longest wait before a partly filled batch is written. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
/** Default most spans held in memory waiting for the store. */
export const DEFAULT_MAX_QUEUE_SIZE = 50_000;
/** Default wait of a deferred batch in the spool before it is tried again. */
export const DEFAULT_DEFERRED_RETRY_MS = 30_000;
/** Default most bytes the spool holds on disk (1 GiB). */
export const DEFAULT_MAX_SPOOL_BYTES = 1024 * 1024 * 1024;

/** Options of {@link ClickHouseSpanExporter}; all optional. */
export interface ClickHouseSpanExporterOptions extends StoreOptions {
  /**
   * An already open store to write to instead of opening one from the store
   * options. The exporter does not close a store it was given. A `database`
   * option, when set, overrides the store's database.
   * @default undefined (open one from `url` / `path`)
   */
  store?: Store;
  /**
   * Traces table, in `database`.
   * @default 'otel_traces'
   */
  tracesTable?: string;
  /**
   * Most spans in one insert.
   * @default 5_000
   */
  maxBatchSize?: number;
  /**
   * Longest time a span waits for its batch to fill before it is written, in ms.
   * @default 1_000
   */
  flushIntervalMs?: number;
  /**
   * Most spans held in memory waiting for the store (batches being retried
   * included). Spans beyond it are dropped and counted.
   * @default 50_000
   */
  maxQueueSize?: number;
  /**
   * Most attempts per batch, the first included, for transient failures.
   * @default 20
   */
  maxAttempts?: number;
  /**
   * Longest time a batch may spend retrying, in ms.
   * @default 60_000
   */
  maxRetryElapsedMs?: number;
  /**
   * With a spool: how long a batch whose retries ran out waits on disk
   * before it is tried again (without a spool it is failed), in ms.
   * @default 30_000
   */
  deferredRetryMs?: number;
  /**
   * Directory of the on-disk spool. When set, accepted spans are fsynced
   * there before `export` reports success and replayed on the next start if
   * they never reached the store. One exporter per directory. Without one,
   * `export` reports success only once the spans are inserted.
   * @default undefined (no spool)
   */
  spoolDir?: string;
  /**
   * Most bytes the spool holds on disk. An `export` call whose rows would
   * pass it is refused whole (FAILED with a `SpoolFullError`); nothing of it
   * is queued.
   * @default 1_073_741_824 (1 GiB)
   */
  maxSpoolBytes?: number;
  /**
   * Directory of the dead-letter file, `dead-letter.ndjson`: rows the store
   * refused one by one (isolated by bisecting their batch), already filtered
   * like every row. Without a spool and without this option refused rows are
   * counted as failed and kept nowhere.
   * @default `<spoolDir>/dead-letter` with a spool, else undefined
   */
  deadLetterDir?: string;
  /**
   * Most bytes of the dead-letter file; refused rows past it are counted as
   * failed (the oldest records are kept).
   * @default 16_777_216 (16 MiB)
   */
  maxDeadLetterBytes?: number;
}

/** Exporter options with every default applied. */
export interface ResolvedExporterOptions {
  readonly store: Store | undefined;
  /** `database` as given (undefined when left out), to override a given store's. */
  readonly database: string | undefined;
  readonly storeOptions: ResolvedStoreOptions;
  readonly tracesTable: string;
  readonly maxBatchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueueSize: number;
  readonly maxAttempts: number;
  readonly maxRetryElapsedMs: number;
  readonly deferredRetryMs: number;
  readonly spoolDir: string | undefined;
  readonly maxSpoolBytes: number;
  readonly deadLetterDir: string | undefined;
  readonly maxDeadLetterBytes: number;
}

const exporterSchema = z
  .object({
    ...storeOptionsShape,
    store: z
      .custom<Store>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          'client' in value &&
          typeof (value as { close?: unknown }).close === 'function',
        { error: 'a Store from createStore()' },
      )
      .optional(),
    tracesTable: z
      .string({ error: 'a string' })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a plain identifier (letters, digits, _)' })
      .optional(),
    maxBatchSize: positiveInt().optional(),
    flushIntervalMs: positiveInt().optional(),
    maxQueueSize: positiveInt().optional(),
    maxAttempts: positiveInt().optional(),
    maxRetryElapsedMs: positiveInt().optional(),
    deferredRetryMs: positiveInt().optional(),
    spoolDir: z.string({ error: 'a string' }).min(1, { error: 'a non-empty path' }).optional(),
    maxSpoolBytes: positiveInt().optional(),
    deadLetterDir: z.string({ error: 'a string' }).min(1, { error: 'a non-empty path' }).optional(),
    maxDeadLetterBytes: positiveInt().optional(),
  })
  .strict();

/** Validates options and applies defaults; throws {@link InvalidOptionsError}. */
export function resolveExporterOptions(
  options: ClickHouseSpanExporterOptions = {},
): ResolvedExporterOptions {
  const parsed = parseOptions(exporterSchema, options);
  const resolved: ResolvedExporterOptions = {
    store: parsed.store,
    database: parsed.database,
    storeOptions: resolveStoreFields(parsed),
    tracesTable: parsed.tracesTable ?? DEFAULT_TRACES_TABLE,
    maxBatchSize: parsed.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    flushIntervalMs: parsed.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    maxQueueSize: parsed.maxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE,
    maxAttempts: parsed.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    maxRetryElapsedMs: parsed.maxRetryElapsedMs ?? DEFAULT_MAX_RETRY_ELAPSED_MS,
    deferredRetryMs: parsed.deferredRetryMs ?? DEFAULT_DEFERRED_RETRY_MS,
    spoolDir: parsed.spoolDir,
    maxSpoolBytes: parsed.maxSpoolBytes ?? DEFAULT_MAX_SPOOL_BYTES,
    deadLetterDir:
      parsed.deadLetterDir ??
      (parsed.spoolDir === undefined ? undefined : join(parsed.spoolDir, DEAD_LETTER_SUBDIR)),
    maxDeadLetterBytes: parsed.maxDeadLetterBytes ?? DEFAULT_MAX_DEAD_LETTER_BYTES,
  };
  if (resolved.maxBatchSize > resolved.maxQueueSize) {
    throw new InvalidOptionsError(
      'maxBatchSize',
      `maxBatchSize must be at most maxQueueSize (${resolved.maxQueueSize}) (got ${resolved.maxBatchSize})`,
    );
  }
  return resolved;
}
