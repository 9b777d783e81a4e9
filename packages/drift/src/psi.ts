import { z } from 'zod';
import { binnedShares, constantFloor, evidentlyFloor, toShares } from './_internal/binning.js';
import { parseOptions } from './_internal/options.js';
import { type QuantileBinCounts, quantileBinCounts, quantileBinCountsRaw } from './_internal/quantile-bins.js';
import { cleanPair, type NumericSample } from './clean-sample.js';

/** Options of {@link psi}. */
export const psiOptionsSchema = z.strictObject({
  /**
   * How bins are cut: 'quantile' (reference quantiles, numpy linear interpolation, open outer edges, repeated
   * edges merged, empty bins floored at 1e-4), 'sturges' (Evidently 0.7 get_binned_data) or 'equal-width'
   * (`bins` equal-width bins over both samples, Evidently's empty-bin rule).
   * @default 'quantile'
   */
  binning: z.enum(['quantile', 'sturges', 'equal-width']).default('quantile'),
  /**
   * Number of bins for 'quantile' and 'equal-width' (ignored by 'sturges').
   * @default 10
   */
  bins: z.number().int().min(1).max(1_000_000).default(10),
});

/** Options of {@link psi}. */
export type PsiOptions = z.input<typeof psiOptionsSchema>;

/** Binned reference and current shares as psi uses them (after the empty-bin floor). */
export interface PsiBins {
  /** Share of the reference in each bin (floored). */
  reference: Float64Array;
  /** Share of the current sample in each bin (floored). */
  current: Float64Array;
}

/** The reference and current shares per bin that {@link psi} sums over (for reports and debugging). */
export function psiBins(reference: NumericSample, current: NumericSample, options?: PsiOptions): PsiBins {
  const opts = parseOptions(psiOptionsSchema, options, 'psi');
  if (opts.binning === 'quantile' && reference instanceof Float64Array && current instanceof Float64Array) {
    // Large typed arrays are binned as they are: missing values are skipped in the same scans (no cleaned copies).
    const counts = quantileBinCountsRaw(reference, current, opts.bins);
    if (counts !== null && counts.currentCount > 0) return quantileShares(counts, reference.length);
  }
  const { ref, cur } = cleanPair(reference, current, 'psi');
  if (opts.binning === 'quantile') {
    // Only the reference's quantiles are needed: selected, not sorted; both samples binned in one scan each.
    return quantileShares(quantileBinCounts(ref, cur, opts.bins), ref.length);
  }
  const b = binnedShares(ref, cur, opts.binning === 'sturges' ? 'sturges' : opts.bins);
  return { reference: evidentlyFloor(b.ref), current: evidentlyFloor(b.cur) };
}

function quantileShares(counts: QuantileBinCounts, refCount: number): PsiBins {
  return {
    reference: constantFloor(toShares(counts.reference, refCount), 1e-4),
    current: constantFloor(toShares(counts.current, counts.currentCount), 1e-4),
  };
}

/**
 * Population stability index Σ (cur − ref)·ln(cur / ref) over bins: a number in [0, ∞) (0 = same distribution).
 * Missing values are dropped; count them with `cleanSample()`.
 */
export function psi(reference: NumericSample, current: NumericSample, options?: PsiOptions): number {
  const b = psiBins(reference, current, options);
  let s = 0;
  for (let i = 0; i < b.reference.length; i++) {
    const r = b.reference[i]!;
    const c = b.current[i]!;
    s += (c - r) * Math.log(c / r);
  }
  return s;
}
