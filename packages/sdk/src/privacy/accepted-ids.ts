/**
 * Ids every `id` rule accepts, remembered by exact value: a UUID or 16/32
 * hex digits (`ID_PATTERN`) that does not decode to text. Whether an id
 * passes depends on its value alone, so one set serves every id rule, and
 * the SDK puts the run ids it makes here after checking them, which spares
 * the allowlist the same check on each run's first span. A provider id
 * (which only `providerId` rules accept) is never put here.
 */

/** Most ids remembered before the set starts over (a forgotten id is checked again). */
const ACCEPTED_IDS_MAX = 4096;
const accepted = new Set<string>();

/** True when `id` was remembered as accepted. */
export function isAcceptedId(id: string): boolean {
  return accepted.has(id);
}

/**
 * Remembers `id` as accepted. Call it only for a value that matches
 * `ID_PATTERN` and that `hexIdLooksLikeText` refuses to call text.
 */
export function rememberAcceptedId(id: string): void {
  if (accepted.size >= ACCEPTED_IDS_MAX) accepted.clear();
  accepted.add(id);
}
