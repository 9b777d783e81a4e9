import { mulberry32 } from '@mlops/core';

/** A seeded generator of floats in [0, 1) (core's mulberry32): reproducible folds and simulations. */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** 0 … n-1 in a seeded random order (Fisher–Yates). */
export function shuffledIndices(n: number, random: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
