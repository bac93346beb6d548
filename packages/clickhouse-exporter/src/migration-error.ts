/**
 * The error the migration runner throws. Its `code` says what went wrong, so
 * callers branch on codes, never on message text.
 */

/** Stable codes of {@link MigrationError}. */
export type MigrationErrorCode = 'INVALID_OPTIONS' | 'CHECKSUM_MISMATCH' | 'MIGRATION_FAILED';

/** Raised by `migrate` for invalid options, an edited applied migration or a failing statement. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** Stable machine-readable code. */
  readonly code: MigrationErrorCode;

  constructor(code: MigrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
