import { z } from 'zod';
import { countPerCategory } from './_internal/binning.js';
import { parseOptions } from './_internal/options.js';
import { chi2Sf } from './_internal/special.js';
import { type CategoricalSample, cleanCategoricalPair, type DroppedCounts } from './clean-sample.js';

/** Options of {@link chiSquareTest}. */
export const chiSquareOptionsSchema = z.strictObject({
  /**
   * 'contingency': Pearson's test of the 2×k table (scipy.stats.chi2_contingency, correction=False);
   * 'goodnessOfFit': current counts against reference shares × current size (scipy.stats.chisquare, as Evidently).
   * @default 'contingency'
   */
  kind: z.enum(['contingency', 'goodnessOfFit']).default('contingency'),
});

/** Options of {@link chiSquareTest}. */
export type ChiSquareOptions = z.input<typeof chiSquareOptionsSchema>;

/** Result of {@link chiSquareTest}. */
export interface ChiSquareResult {
  /** Pearson's χ² statistic in [0, ∞] (∞ for goodness of fit when a category is absent from the reference). */
  statistic: number;
  /** p-value in [0, 1]. */
  pValue: number;
  /** Degrees of freedom: (number of categories − 1). */
  dof: number;
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

/** Pearson chi-square test on category counts (scipy chi2_contingency / chisquare): statistic in [0, ∞], p-value in [0, 1]. */
export function chiSquareTest(
  reference: CategoricalSample,
  current: CategoricalSample,
  options?: ChiSquareOptions,
): ChiSquareResult {
  const opts = parseOptions(chiSquareOptionsSchema, options, 'chiSquareTest');
  const { ref, cur, dropped } = cleanCategoricalPair(reference, current, 'chiSquareTest');
  const c = countPerCategory(ref, cur);
  const k = c.keys.length;
  const dof = k - 1;
  const nR = ref.length;
  const nC = cur.length;
  let stat = 0;
  if (opts.kind === 'contingency') {
    if (dof === 0) return { statistic: 0, pValue: 1, dof: 0, dropped };
    const total = nR + nC;
    for (let i = 0; i < k; i++) {
      const col = c.ref[i]! + c.cur[i]!;
      const eR = (nR * col) / total;
      const eC = (nC * col) / total;
      stat += (c.ref[i]! - eR) ** 2 / eR + (c.cur[i]! - eC) ** 2 / eC;
    }
  } else {
    const kNorm = nC / nR;
    for (let i = 0; i < k; i++) {
      const e = c.ref[i]! * kNorm;
      const d = c.cur[i]! - e;
      stat += e === 0 ? (d === 0 ? Number.NaN : Number.POSITIVE_INFINITY) : (d * d) / e;
    }
    if (dof === 0) return { statistic: stat, pValue: Number.NaN, dof, dropped };
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof, dropped };
}
