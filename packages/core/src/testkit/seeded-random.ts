/**
 * A small seeded PRNG (mulberry32) for generated test cases: the same seed gives the same cases
 * on every run, so a failure can be replayed. Returns numbers in [0, 1), like Math.random.
 */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
