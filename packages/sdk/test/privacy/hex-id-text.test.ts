/**
 * hexIdLooksLikeText stops reading once neither of its rules can hold; its
 * answers must be those of the rules as written (docs/privacy.md, ids):
 * a hex id of 16 or 32 digits (dashes skipped) is text when ten decoded text
 * bytes stand in a row, or all but two of its bytes (all of 8) are text.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hexIdLooksLikeText } from '../../src/privacy/encoded-text.js';

const TEXT = new Set(
  [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,@_+:/'-"].map((c) =>
    c.charCodeAt(0),
  ),
);

/** The rules read whole, with no early exit. */
function byTheRules(id: string): boolean {
  const digits = id.replace(/-/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length < 16 || digits.length % 2 === 1) return false;
  const bytes = [...Buffer.from(digits, 'hex')];
  let run = 0;
  let longest = 0;
  for (const b of bytes) {
    run = TEXT.has(b) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  const noise = bytes.filter((b) => !TEXT.has(b)).length;
  return longest >= 10 || noise <= (bytes.length > 8 ? 2 : 0);
}

const uuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

describe('hexIdLooksLikeText', () => {
  it('answers as the rules read whole, on seeded ids and ids with text planted anywhere', () => {
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const h = createHash('sha256').update(`id-${i}`).digest('hex');
      ids.push(h.slice(0, 32), h.slice(0, 16), uuid(h));
      // a text run of 9 to 12 bytes planted at every offset of a 16-byte id
      const words = Buffer.from('jane.doe@mail.com').toString('hex');
      const len = 9 + (i % 4);
      const at = i % (17 - len);
      const planted = h.slice(0, 2 * at) + words.slice(0, 2 * len) + h.slice(2 * (at + len), 32);
      ids.push(planted, uuid(planted));
    }
    const differ = ids.filter((id) => hexIdLooksLikeText(id) !== byTheRules(id));
    expect(differ).toEqual([]);
    // both answers occur, so the comparison says something
    expect(ids.filter(byTheRules).length).toBeGreaterThan(1_000);
    expect(ids.filter((id) => !byTheRules(id)).length).toBeGreaterThan(1_000);
  });
});
