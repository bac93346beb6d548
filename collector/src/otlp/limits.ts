/**
 * Bounds applied while decoding, so that one request cannot make the
 * collector allocate much more than its body size, nor recurse without end.
 */

/** Decoding limits; see `CollectorOptions.limits` for the defaults. */
export interface DecodeLimits {
  /** Attributes on one span, event, link, resource or scope. */
  readonly maxAttributes: number;
  /** Events on one span. */
  readonly maxEvents: number;
  /** Links on one span. */
  readonly maxLinks: number;
  /** Length of one string value, key or name, in UTF-16 code units. */
  readonly maxStringLength: number;
  /** Items in one array or key-value list value. */
  readonly maxArrayLength: number;
  /** Nesting depth of `AnyValue` (arrays and key-value lists). */
  readonly maxValueDepth: number;
}

/** The defaults of {@link DecodeLimits}. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxAttributes: 128,
  maxEvents: 128,
  maxLinks: 128,
  maxStringLength: 8192,
  maxArrayLength: 1024,
  maxValueDepth: 8,
};
