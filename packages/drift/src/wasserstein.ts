import { z } from 'zod';
import { populationStd } from './_internal/cdf-distance.js';
import { parseOptions } from './_internal/options.js';
import { wassersteinOfSorted, wassersteinUnsorted } from './_internal/wasserstein-buckets.js';
import { cleanPair, type DroppedCounts, type NumericSample } from './clean-sample.js';

/** Options of {@link wassersteinDistance}. */
export const wassersteinOptionsSchema = z.strictObject({
  /**
   * Divide by the reference's population standard deviation (floored at 0.001), as Evidently's drift threshold
   * (0.1) assumes.
   * @default false
   */
  normalize: z.boolean().default(false),
});

/** Options of {@link wassersteinDistance}. */
export type WassersteinOptions = z.input<typeof wassersteinOptionsSchema>;

/** A distance with the dropped-missing counts. */
export interface DistanceResult {
  /** The distance. */
  value: number;
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

/**
 * First Wasserstein distance ∫|F − G| of two sorted, NaN-free, non-empty samples (shared by `wassersteinDistance` and
 * `detectDrift`): one walk over the merged values, adding |F − G|·(gap to the next value). Same value as scipy's
 * `_cdf_distance` (relative difference ~1e-13) with no per-value bookkeeping: ties are zero-width gaps.
 */
export function wassersteinSorted(reference: Float64Array, current: Float64Array): number {
  return wassersteinOfSorted(reference, current);
}

/** First Wasserstein (earth mover's) distance with the dropped counts: value in [0, ∞). */
export function wassersteinDistanceDetailed(
  reference: NumericSample,
  current: NumericSample,
  options?: WassersteinOptions,
): DistanceResult {
  const opts = parseOptions(wassersteinOptionsSchema, options, 'wassersteinDistance');
  const { ref, cur, dropped } = cleanPair(reference, current, 'wassersteinDistance');
  // Large samples are not sorted: only the buckets where F − G may change sign are (see wasserstein-buckets.ts).
  const w = wassersteinUnsorted(ref, cur);
  return { value: opts.normalize ? w / Math.max(populationStd(ref), 0.001) : w, dropped };
}

/** First Wasserstein distance (= scipy.stats.wasserstein_distance), optionally normalized: [0, ∞). */
export function wassersteinDistance(
  reference: NumericSample,
  current: NumericSample,
  options?: WassersteinOptions,
): number {
  return wassersteinDistanceDetailed(reference, current, options).value;
}
