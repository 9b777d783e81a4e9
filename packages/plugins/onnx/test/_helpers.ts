import type { CsrMatrix, DenseMatrix } from '@mlops/core/preprocessing';
import { mulberry32 } from '@mlops/core/testing';

/** Seeded PRNG in [0, 1) (core's mulberry32). */
export const rng = mulberry32;

/** A seeded sample of `k` distinct indices out of `n`. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  const r = rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k);
}

/** The same matrix with every value rounded to float32 (what the ONNX graph receives). */
export function roundCsr(m: CsrMatrix): CsrMatrix {
  return { ...m, values: Float64Array.from(m.values, Math.fround) };
}

/** The same matrix with every value rounded to float32. */
export function roundDense(m: DenseMatrix): DenseMatrix {
  return { ...m, data: Float64Array.from(m.data, Math.fround) };
}

/** Largest absolute difference between row-major JS probabilities and per-row ONNX probabilities. */
export function maxAbsDiff(expected: readonly (readonly number[])[], got: readonly ArrayLike<number>[]): number {
  let max = 0;
  expected.forEach((row, i) => {
    row.forEach((v, c) => {
      max = Math.max(max, Math.abs(v - got[i]![c]!));
    });
  });
  return max;
}
