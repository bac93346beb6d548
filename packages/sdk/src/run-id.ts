/**
 * Run ids the allowlist accepts. A run id is a random UUID, and the
 * allowlist refuses a hex id whose bytes read as text (an encoded name or
 * number, `encoded-text.ts`); random UUIDs do rarely (3 of 6,000,000
 * measured). The SDK draws again rather than emit a run whose id would
 * be dropped from every one of its spans.
 */
import { randomUUID } from 'node:crypto';
import { rememberAcceptedId } from './privacy/accepted-ids.js';
import { hexIdLooksLikeText } from './privacy/encoded-text.js';
import { ID_PATTERN } from './privacy/rules.js';

/** Draws before giving up on finding an accepted id. */
const MAX_DRAWS = 8;

/**
 * A new run id: a random UUID that `hexIdLooksLikeText` does not refuse.
 * An id that passes is remembered as accepted (`accepted-ids.ts`), so the
 * allowlist does not check it a second time; a UUID from `randomUUID`
 * always has `ID_PATTERN`'s shape, any other draw is tested against it.
 *
 * @param draw the source of candidate ids; @default crypto.randomUUID
 * @example
 * newRunId() // '3f0c…-…'
 */
export function newRunId(draw: () => string = randomUUID): string {
  let id = draw();
  for (let i = 1; ; i++) {
    if (!hexIdLooksLikeText(id)) {
      if (draw === randomUUID || ID_PATTERN.test(id)) rememberAcceptedId(id);
      return id;
    }
    if (i >= MAX_DRAWS) return id;
    id = draw();
  }
}
