/**
 * Seeded uniform numbers in [0, 1) (mulberry32: 32 bits of state, fast, and the same sequence on every machine), for
 * what must repeat exactly: tuning samples, calibration folds, test data and fuzzing. Not for anything secret.
 *
 * @example
 * const u = mulberry32(42);
 * const noise = Array.from({ length: 100 }, () => u() - 0.5);
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
