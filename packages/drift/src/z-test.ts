import { z } from 'zod';
import { parseOptions } from './_internal/options.js';
import { normalSf } from './_internal/special.js';
import { type CategoricalSample, cleanCategoricalPair, type DroppedCounts } from './clean-sample.js';

/** Options of {@link zTestProportions}. */
export const zTestOptionsSchema = z.strictObject({
  /**
   * The category whose share is compared (numbers are matched by `String(value)`). Defaults to the smallest label
   * (string order) seen in either sample; for a binary column the choice does not change the p-value.
   */
  category: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

/** Options of {@link zTestProportions}. */
export type ZTestOptions = z.input<typeof zTestOptionsSchema>;

/** Result of {@link zTestProportions}. */
export interface ZTestResult {
  /** Pooled two-proportion z statistic in (−∞, ∞); NaN when both samples have the same single category. */
  statistic: number;
  /** Two-sided p-value in [0, 1] (1 when both samples hold the same single category, as Evidently). */
  pValue: number;
  /** The category whose share was compared. */
  category: string;
  /** Share of that category in the reference. */
  referenceShare: number;
  /** Share of that category in the current sample. */
  currentShare: number;
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

/** Two-proportion z-test on the share of one category (Evidently's z-test): z in ℝ and two-sided p-value in [0, 1]. */
export function zTestProportions(
  reference: CategoricalSample,
  current: CategoricalSample,
  options?: ZTestOptions,
): ZTestResult {
  const opts = parseOptions(zTestOptionsSchema, options, 'zTestProportions');
  const { ref, cur, dropped } = cleanCategoricalPair(reference, current, 'zTestProportions');
  let category: string;
  if (opts.category !== undefined) category = String(opts.category);
  else {
    category = ref[0]!;
    for (const arr of [ref, cur]) for (const v of arr) if (v < category) category = v;
  }
  let c1 = 0;
  let c2 = 0;
  for (const v of ref) if (v === category) c1++;
  for (const v of cur) if (v === category) c2++;
  const n1 = ref.length;
  const n2 = cur.length;
  const p1 = c1 / n1;
  const p2 = c2 / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const den = Math.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
  const stat = den > 0 ? (p1 - p2) / den : Number.NaN;
  const sameSingle = ref.every((v) => v === ref[0]) && cur.every((v) => v === ref[0]);
  // Evidently computes 2·(1 − Φ(|z|)); 2·Φc(|z|) is the same number without the cancellation in the far tail.
  const pValue = sameSingle ? 1 : Number.isNaN(stat) ? Number.NaN : Math.min(1, 2 * normalSf(Math.abs(stat)));
  return { statistic: stat, pValue, category, referenceShare: p1, currentShare: p2, dropped };
}
