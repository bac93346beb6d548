/** Seeded randomness and simulated latency, so every example run traces the same way. */

/** A seeded PRNG (mulberry32) returning numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits `ms` milliseconds of simulated work. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
