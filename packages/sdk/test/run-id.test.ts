import { describe, expect, it } from 'vitest';
import { isAcceptedId } from '../src/privacy/accepted-ids.js';
import { hexIdLooksLikeText } from '../src/privacy/encoded-text.js';
import { newRunId } from '../src/run-id.js';

/** A UUID-shaped id whose bytes read "call me at 415 555" (refused by the allowlist). */
const TEXT_ID = (() => {
  const hex = Buffer.from('call me at 415 5').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
})();

describe('newRunId', () => {
  it('draws again when the allowlist would refuse the id', () => {
    expect(hexIdLooksLikeText(TEXT_ID)).toBe(true);
    const good = '3f0c2a4e-9b1d-4c7e-8a55-0d6f1e2b3c4d';
    const draws = [TEXT_ID, TEXT_ID, good];
    let calls = 0;
    expect(newRunId(() => draws[calls++] ?? good)).toBe(good);
    expect(calls).toBe(3);
  });

  it('returns the first draw when it is accepted', () => {
    let calls = 0;
    const id = newRunId(() => {
      calls++;
      return '3f0c2a4e-9b1d-4c7e-8a55-0d6f1e2b3c4d';
    });
    expect([id, calls]).toEqual(['3f0c2a4e-9b1d-4c7e-8a55-0d6f1e2b3c4d', 1]);
  });

  it('gives up after a bounded number of draws', () => {
    let calls = 0;
    newRunId(() => {
      calls++;
      return TEXT_ID;
    });
    expect(calls).toBe(8);
  });

  it('makes UUIDs by default', () => {
    expect(newRunId()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('remembers as accepted only an id the allowlist would accept', () => {
    const good = '7b1e4c2d-0a3f-4e9b-9c81-2d6f0e5a4b3c';
    expect(newRunId(() => good)).toBe(good);
    expect(isAcceptedId(good)).toBe(true);
    // refused eight times over: handed back, never remembered
    expect(newRunId(() => TEXT_ID)).toBe(TEXT_ID);
    expect(isAcceptedId(TEXT_ID)).toBe(false);
    // not an id's shape at all (a custom draw): handed back, never remembered
    expect(newRunId(() => 'jane_doe_run')).toBe('jane_doe_run');
    expect(isAcceptedId('jane_doe_run')).toBe(false);
  });
});
