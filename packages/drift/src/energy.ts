import { cdfDistance } from './_internal/cdf-distance.js';
import { sortedCopy } from './_internal/sort.js';
import { cleanPair, type NumericSample } from './clean-sample.js';
import type { DistanceResult } from './wasserstein.js';

/** Energy distance with the dropped counts: value in [0, ∞). */
export function energyDistanceDetailed(reference: NumericSample, current: NumericSample): DistanceResult {
  const { ref, cur, dropped } = cleanPair(reference, current, 'energyDistance');
  return { value: Math.SQRT2 * cdfDistance(2, sortedCopy(ref), sortedCopy(cur)), dropped };
}

/** Energy distance between two 1-D samples (= scipy.stats.energy_distance): [0, ∞). */
export function energyDistance(reference: NumericSample, current: NumericSample): number {
  return energyDistanceDetailed(reference, current).value;
}
