import { z } from 'zod';
import { kstwoSf } from './_internal/kolmogorov.js';
import { attemptExact } from './_internal/ks-exact.js';
import { type KsExtremes, ksExtremes, ksExtremesSorted } from './_internal/ks-walk.js';
import { parseOptions } from './_internal/options.js';
import { gcd, roundHalfEven } from './_internal/special.js';
import { cleanPair, type DroppedCounts, type NumericSample } from './clean-sample.js';

const MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

/** Options of {@link ksTest}. */
export const ksTestOptionsSchema = z.strictObject({
  /**
   * How the p-value is computed: 'exact' (lattice-path counting), 'asymp' (Kolmogorov distribution of
   * round(n·m/(n+m))) or 'auto' (exact when both samples have at most 10,000 values), as scipy.stats.ks_2samp.
   * @default 'auto'
   */
  method: z.enum(['auto', 'exact', 'asymp']).default('auto'),
  /**
   * Alternative hypothesis, as scipy: 'less' means the reference's CDF lies below the current one's.
   * @default 'two-sided'
   */
  alternative: z.enum(['two-sided', 'less', 'greater']).default('two-sided'),
});

/** Options of {@link ksTest}. */
export type KsTestOptions = z.input<typeof ksTestOptionsSchema>;

/** Result of {@link ksTest}. */
export interface KsTestResult {
  /** The KS statistic D in [0, 1] (for 'exact', rounded to a multiple of 1/lcm(n, m) as scipy does). */
  statistic: number;
  /** p-value in [0, 1] (NaN only where scipy returns NaN: 'asymp' with round(n·m/(n+m)) = 0). */
  pValue: number;
  /** The method actually used ('exact' can fall back to 'asymp' as in scipy). */
  method: 'exact' | 'asymp';
  /** The value at which the ECDF difference reaches the statistic (scipy's statistic_location). */
  statisticLocation: number;
  /** +1 if the reference ECDF exceeds the current one there, −1 otherwise (scipy's statistic_sign). */
  statisticSign: 1 | -1;
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

/** Two-sample Kolmogorov–Smirnov (= scipy.stats.ks_2samp): statistic D in [0, 1] and p-value in [0, 1]. */
export function ksTest(reference: NumericSample, current: NumericSample, options?: KsTestOptions): KsTestResult {
  const opts = parseOptions(ksTestOptionsSchema, options, 'ksTest');
  const { ref, cur, dropped } = cleanPair(reference, current, 'ksTest');
  // Large samples are not sorted: ksExtremes bounds the ECDF difference per bucket and sorts only where it peaks.
  return ksFromExtremes(ksExtremes(ref, cur), ref.length, cur.length, opts.method, opts.alternative, dropped);
}

/** ksTest on already-sorted, NaN-free samples (used by detectDrift and profiles, which keep sorted samples). */
export function ksTestSorted(
  a: Float64Array,
  b: Float64Array,
  method: 'auto' | 'exact' | 'asymp' = 'auto',
  alternative: 'two-sided' | 'less' | 'greater' = 'two-sided',
  dropped: DroppedCounts = { reference: 0, current: 0 },
): KsTestResult {
  return ksFromExtremes(ksExtremesSorted(a, b), a.length, b.length, method, alternative, dropped);
}

/** ksTest on NaN-free samples in any order (no cleaning, no option parsing: detectDrift's path for large columns). */
export function ksTestUnsorted(
  a: Float64Array,
  b: Float64Array,
  method: 'auto' | 'exact' | 'asymp' = 'auto',
  alternative: 'two-sided' | 'less' | 'greater' = 'two-sided',
  dropped: DroppedCounts = { reference: 0, current: 0 },
): KsTestResult {
  return ksFromExtremes(ksExtremes(a, b), a.length, b.length, method, alternative, dropped);
}

function ksFromExtremes(
  extremes: KsExtremes,
  n1: number,
  n2: number,
  method: 'auto' | 'exact' | 'asymp',
  alternative: 'two-sided' | 'less' | 'greater',
  dropped: DroppedCounts,
): KsTestResult {
  const { maxS, locMax, minD, locMin } = extremes;
  const minS = Math.min(Math.max(-minD, 0), 1);
  let d: number;
  let loc: number;
  let sign: 1 | -1;
  if (alternative === 'less' || (alternative === 'two-sided' && minS > maxS)) {
    d = minS;
    loc = locMin;
    sign = -1;
  } else {
    d = maxS;
    loc = locMax;
    sign = 1;
  }
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let mode: 'exact' | 'asymp';
  if (method === 'auto') mode = Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp';
  else if (method === 'exact') mode = n1g >= INT32_MAX / n2g ? 'asymp' : 'exact';
  else mode = 'asymp';

  let prob = Number.NEGATIVE_INFINITY;
  if (mode === 'exact') {
    const res = attemptExact(n1, n2, g, d, alternative);
    d = res.d;
    prob = res.p;
    if (!res.ok) mode = 'asymp';
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    if (alternative === 'two-sided') {
      const N = roundHalfEven(en);
      prob = N >= 1 ? kstwoSf(N, d) : Number.NaN;
    } else {
      const z = Math.sqrt(en) * d;
      const expt = -2 * z ** 2 - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3.0;
      prob = Math.exp(expt);
    }
  }
  const pValue = Number.isNaN(prob) ? prob : Math.min(Math.max(prob, 0), 1);
  return { statistic: d, pValue, method: mode, statisticLocation: loc, statisticSign: sign, dropped };
}
