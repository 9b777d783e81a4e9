import { z } from 'zod';
import { invalid } from './_probabilities.js';

/** zod schema of one {@link ReliabilityBin}. */
export const reliabilityBinSchema = z.object({
  /** Lower edge of the confidence bin (inclusive; the first bin also takes 0). */
  lower: z.number(),
  /** Upper edge of the confidence bin (inclusive). */
  upper: z.number(),
  /** Predictions whose confidence fell in the bin. */
  count: z.number().int().nonnegative(),
  /** Mean confidence of those predictions. */
  meanConfidence: z.number(),
  /** Share of them that were right. */
  accuracy: z.number(),
});

/** One point of a reliability curve: mean predicted confidence vs observed accuracy in a confidence bin. */
export type ReliabilityBin = z.infer<typeof reliabilityBinSchema>;

/** A reliability curve (non-empty bins only) and its expected calibration error. */
export interface Reliability {
  /** Expected calibration error: Σ (count / n) · |accuracy − meanConfidence| over the bins, in [0, 1]. */
  ece: number;
  /** The non-empty bins, lowest confidence first. */
  bins: ReliabilityBin[];
}

/**
 * Reliability curve and expected calibration error (ECE, Guo et al. 2017) of confidences against outcomes, over
 * `bins` equal-width bins of [0, 1]. `confidence[i]` is the probability the model gave to the class it predicted,
 * `correct[i]` whether that prediction was right. ECE in [0, 1]: 0 when each bin's accuracy equals its confidence.
 */
export function reliability(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  bins = 10,
): Reliability {
  const n = confidence.length;
  if (n === 0) invalid('no predictions to measure calibration on', 'probabilities');
  if (correct.length !== n) invalid(`labels has ${correct.length} entries, expected ${n}`, 'labels');
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000) invalid('bins must be an integer in [1, 1000]', 'bins');
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = Math.min(1, Math.max(0, confidence[i]!));
    // Bin b holds (b/bins, (b+1)/bins]; 0 goes to the first bin.
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[b]!++;
    conf[b]! += p;
    if (correct[i]) hits[b]!++;
  }
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    if (c === 0) continue;
    const meanConfidence = conf[b]! / c;
    const accuracy = hits[b]! / c;
    ece += (c / n) * Math.abs(accuracy - meanConfidence);
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: c, meanConfidence, accuracy });
  }
  return { ece, bins: out };
}
