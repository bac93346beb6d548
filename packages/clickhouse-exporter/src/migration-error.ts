/**
 * The error the migration runner throws. Its `code` says what went wrong, so
 * callers branch on codes, never on message text.
 */

/**
 * Stable codes of {@link MigrationError}.
 *
 * - `INVALID_OPTIONS`: an option is not what `migrate` accepts.
 * - `CHECKSUM_MISMATCH`: an applied migration file was edited.
 * - `MIGRATION_FAILED`: a statement failed; what ran before it is recorded and
 *   the next run resumes after it.
 * - `UNSUPPORTED_TRACES_TABLE`: the existing spans table is a variant the
 *   views cannot read (the contrib exporter's JSON-typed table, a table
 *   without `ScopeName`/`ScopeVersion`, or other column types). Raised before
 *   anything is changed.
 */
export type MigrationErrorCode =
  'INVALID_OPTIONS' | 'CHECKSUM_MISMATCH' | 'MIGRATION_FAILED' | 'UNSUPPORTED_TRACES_TABLE';

/** Raised by `migrate` for invalid options, an edited applied migration, a failing statement or an unsupported spans table. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** Stable machine-readable code. */
  readonly code: MigrationErrorCode;

  constructor(code: MigrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
