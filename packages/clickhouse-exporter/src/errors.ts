/**
 * Typed errors of the ClickHouse exporter. Every error carries a stable
 * `readonly code` so callers branch on codes, never on message text
 * (clickhouse-js `error/error.ts` does the same for server errors).
 */

/** Stable codes of {@link ClickHouseExporterError} and its subclasses. */
export type ClickHouseExporterErrorCode =
  | 'INVALID_OPTIONS'
  | 'EMBEDDED_STORE_CONFLICT'
  | 'EMBEDDED_STORE_LOCKED'
  | 'EXPORTER_SHUT_DOWN'
  | 'QUEUE_OVERFLOW'
  | 'SPOOL_FULL'
  | 'SPOOL_WRITE_FAILED'
  | 'STORE_WRITE_FAILED'
  | 'NOT_STORED';

/** Base class of every error this package throws or reports. */
export class ClickHouseExporterError extends Error {
  override readonly name: string = 'ClickHouseExporterError';
  /** Stable machine-readable code. */
  readonly code: ClickHouseExporterErrorCode;

  constructor(code: ClickHouseExporterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** An option was missing, of the wrong type or out of range. */
export class InvalidOptionsError extends ClickHouseExporterError {
  override readonly name = 'InvalidOptionsError';
  /** Dotted path of the offending option, e.g. `maxQueueSize`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_OPTIONS', message);
    this.field = field;
  }
}

/**
 * The embedded engine (chDB) binds one data directory per process: a second,
 * different directory cannot be opened while the first is in use.
 */
export class EmbeddedStoreConflictError extends ClickHouseExporterError {
  override readonly name = 'EmbeddedStoreConflictError';
  /** The directory already open in this process, when known. */
  readonly openPath: string | undefined;
  /** The directory that was asked for. */
  readonly requestedPath: string;

  constructor(requestedPath: string, openPath: string | undefined, cause?: unknown) {
    const held = openPath === undefined ? 'another chDB data directory' : `'${openPath}'`;
    super(
      'EMBEDDED_STORE_CONFLICT',
      `cannot open the embedded store at '${requestedPath}': ${held} is already open in this ` +
        `process and chDB allows one data directory per process. Use the same path for every ` +
        `exporter in the process (they share one connection), close the other store first, ` +
        `or point the exporter at a ClickHouse server with 'url'.`,
      { cause },
    );
    this.openPath = openPath;
    this.requestedPath = requestedPath;
  }
}

/** The embedded store's directory is held by another process (a collector, another agent). */
export class EmbeddedStoreLockedError extends ClickHouseExporterError {
  override readonly name = 'EmbeddedStoreLockedError';
  /** The directory that was asked for. */
  readonly requestedPath: string;

  /** The pid of the process holding it. */
  readonly holderPid: number;

  constructor(requestedPath: string, holderPid: number, cause?: unknown) {
    super(
      'EMBEDDED_STORE_LOCKED',
      `cannot open the embedded store at '${requestedPath}': process ${holderPid} holds it (chDB locks ` +
        `its data directory). Read through that process instead (the agenttrace collector serves ` +
        `/v1/runs and read-only SQL), stop it first, or use a ClickHouse server with 'url'.`,
      { cause },
    );
    this.requestedPath = requestedPath;
    this.holderPid = holderPid;
  }
}

/** `export` was called after `shutdown`. */
export class ExporterShutDownError extends ClickHouseExporterError {
  override readonly name = 'ExporterShutDownError';

  constructor() {
    super('EXPORTER_SHUT_DOWN', 'the ClickHouse exporter is shut down; spans are not accepted');
  }
}

/** The bounded queue was full: some spans of an `export` call were dropped. */
export class QueueOverflowError extends ClickHouseExporterError {
  override readonly name = 'QueueOverflowError';
  /** How many spans of this call were dropped. */
  readonly dropped: number;

  constructor(dropped: number, maxQueueSize: number) {
    super(
      'QUEUE_OVERFLOW',
      `dropped ${dropped} span(s): the export queue is full (maxQueueSize ${maxQueueSize})`,
    );
    this.dropped = dropped;
  }
}

/** The spool is at `maxSpoolBytes`: an `export` call was refused whole. */
export class SpoolFullError extends ClickHouseExporterError {
  override readonly name = 'SpoolFullError';
  /** Spans of the refused call. */
  readonly refused: number;

  constructor(refused: number, maxSpoolBytes: number) {
    super(
      'SPOOL_FULL',
      `refused ${refused} span(s): the spool is full (maxSpoolBytes ${maxSpoolBytes}); the store is behind`,
    );
    this.refused = refused;
  }
}

/**
 * The spool could not write or sync an `export` call's rows: they are not
 * known to be on disk, so the call failed. They stay queued in memory and
 * are still written to the store if it answers.
 */
export class SpoolWriteError extends ClickHouseExporterError {
  override readonly name = 'SpoolWriteError';

  constructor(cause: unknown) {
    super('SPOOL_WRITE_FAILED', 'the spool could not write the spans to disk', { cause });
  }
}

/** Why a write to the store failed, as far as it can be told. */
export interface StoreWriteErrorDetails {
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;
  /** ClickHouse server error code (`X-ClickHouse-Exception-Code`), when known. */
  readonly clickhouseCode?: number | undefined;
  /** ClickHouse error type, e.g. `TOO_MANY_PARTS`, when known. */
  readonly clickhouseType?: string | undefined;
  /** HTTP status of the answer, when there was one. */
  readonly httpStatus?: number | undefined;
  /** Delay the server asked for (`Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number | undefined;
}

/** An insert into ClickHouse failed; see {@link normalizeStoreError}. */
export class StoreWriteError extends ClickHouseExporterError {
  override readonly name = 'StoreWriteError';
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;
  /** ClickHouse server error code, when known. */
  readonly clickhouseCode: number | undefined;
  /** ClickHouse error type, e.g. `TOO_MANY_PARTS`, when known. */
  readonly clickhouseType: string | undefined;
  /** HTTP status of the answer, when there was one. */
  readonly httpStatus: number | undefined;
  /** Delay the server asked for, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: StoreWriteErrorDetails, cause?: unknown) {
    super('STORE_WRITE_FAILED', message, { cause });
    this.retryable = details.retryable;
    this.clickhouseCode = details.clickhouseCode;
    this.clickhouseType = details.clickhouseType;
    this.httpStatus = details.httpStatus;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * An export call without a spool whose spans did not all reach the store:
 * the store refused them, or retries ran out (see the exporter's stats and
 * log for the cause). Nothing of the call is acknowledged.
 */
export class NotStoredError extends ClickHouseExporterError {
  override readonly name = 'NotStoredError';
  /** Spans in the failed call. */
  readonly spans: number;

  constructor(spans: number) {
    super(
      'NOT_STORED',
      `${spans} span(s) of this export call did not all reach the store (refused, or retries ` +
        `ran out); see the exporter's failedSpans and its log. Configure spoolDir to keep them on disk.`,
    );
    this.spans = spans;
  }
}
