import type { ClassLabel } from '@mlops/core/metrics';
import { z } from 'zod';
import { argmax, checkClasses, checkProbabilities, invalid, labelIndices } from '../calibration/_probabilities.js';
import { seededRandom } from '../calibration/_rng.js';
import type { Calibrator } from '../calibration/calibrator.js';
import { normalQuantile } from './_normal.js';

const label = z.union([z.string(), z.number()]);
const intervalSchema = z.object({
  /** The estimate. */
  estimate: z.number(),
  /** Lower bound of the interval. */
  lower: z.number(),
  /** Upper bound of the interval. */
  upper: z.number(),
  /** Standard deviation of the realized metric around the estimate. */
  stdError: z.number(),
});

/** zod schema of a {@link PerformanceEstimate}. */
export const performanceEstimateSchema = z.object({
  kind: z.literal('mlops.monitoring/performance-estimate'),
  schemaVersion: z.literal(1),
  /** Predictions the estimate is over. */
  n: z.number().int().positive(),
  /** The classes of the probability columns, in order. */
  classes: z.array(label),
  /** The calibration applied first ('none' without a calibrator). */
  calibration: z.enum(['none', 'isotonic', 'temperature']),
  /** Coverage of the intervals, e.g. 0.95. */
  confidenceLevel: z.number(),
  /** Estimated accuracy: the mean calibrated probability of the predicted class. */
  accuracy: intervalSchema,
  /** Estimated macro-F1: the mean over classes of F1 from the expected confusion counts. */
  macroF1: intervalSchema,
  /** Expected counts and scores per class. */
  perClass: z.array(
    z.object({
      label,
      /** Expected number of rows of this class. */
      expectedSupport: z.number(),
      expectedTp: z.number(),
      expectedFp: z.number(),
      expectedFn: z.number(),
      precision: z.number(),
      recall: z.number(),
      f1: z.number(),
    }),
  ),
  /** Expected confusion matrix: `matrix[t][p]` is the expected count of rows of class t predicted as p. */
  confusionMatrix: z.object({ labels: z.array(label), matrix: z.array(z.array(z.number())) }),
  /** How the intervals were computed. */
  interval: z.object({
    /** Normal approximation of the variance of a sum of independent Bernoullis (Σ q(1 − q) / n²). */
    accuracy: z.literal('analytic'),
    /** Percentiles of the macro-F1 of `draws` label sets drawn from the calibrated probabilities. */
    macroF1: z.literal('simulation'),
    draws: z.number().int().positive(),
  }),
});

/**
 * A window's accuracy and macro-F1 estimated without labels (confidence-based performance estimation, as NannyML's
 * CBPE): the expected confusion matrix from calibrated probabilities. The intervals cover the realized metric's
 * sampling noise given those probabilities; they assume calibration still holds (no label-prior shift).
 */
export type PerformanceEstimate = z.infer<typeof performanceEstimateSchema>;

/** Options of {@link estimatePerformance}. */
export interface EstimatePerformanceOptions {
  /** The model's class probabilities, one row per prediction, columns in `classes` order. */
  probabilities: readonly ArrayLike<number>[];
  /** The classes of the probability columns, in order (a calibrator fitted with classes must list the same). */
  classes: readonly ClassLabel[];
  /** The labels the model returned. @default the most probable class of each row (first on ties) */
  predictions?: readonly ClassLabel[];
  /** Applied to the probabilities first (the predictions stay the model's). @default undefined (used as given) */
  calibrator?: Calibrator;
  /** Coverage of the intervals, in (0, 1). @default 0.95 */
  confidenceLevel?: number;
  /** Simulated label sets for the macro-F1 interval. @default 1000 */
  draws?: number;
  /** Seed of the simulation. @default 0 */
  seed?: number;
}

function quantileSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * Estimates accuracy and macro-F1 from predicted probabilities alone (CBPE): with calibrated probabilities q, the
 * prediction of row i is right with probability q[i][pred i], so the expected accuracy is their mean and the
 * expected confusion matrix sums q over the rows predicted as each class; per-class F1 = 2TP / (2TP + FP + FN) of
 * the expected counts (0 when undefined, as core's metrics), macro-F1 their mean. Accuracy's interval is analytic
 * (the realized count of correct predictions is a sum of independent Bernoullis, variance Σ q(1 − q)); macro-F1's
 * is the percentile interval of `draws` simulated label sets. Valid while calibration holds: a shift of the label
 * mix (a surge of one class) breaks that assumption, and the estimate with it.
 *
 * @example
 * const est = estimatePerformance({ probabilities, classes: model.classes, calibrator });
 * est.accuracy; // { estimate: 0.84, lower: 0.827, upper: 0.853, stdError: 0.0066 }
 */
export function estimatePerformance(options: EstimatePerformanceOptions): PerformanceEstimate {
  const { classes, calibrator } = options;
  const k = checkProbabilities(options.probabilities);
  checkClasses(classes, k);
  const level = options.confidenceLevel ?? 0.95;
  if (!(level > 0 && level < 1)) invalid('confidenceLevel must be in (0, 1)', 'confidenceLevel');
  const draws = options.draws ?? 1000;
  if (!Number.isInteger(draws) || draws < 1 || draws > 1_000_000) {
    invalid('draws must be an integer in [1, 1000000]', 'draws');
  }
  if (calibrator) {
    if (calibrator.nClasses !== k) {
      invalid(`the calibrator expects ${calibrator.nClasses} classes, the probabilities have ${k}`, 'calibrator');
    }
    if (calibrator.classes?.some((c, i) => c !== classes[i])) {
      invalid('the calibrator was fitted on other classes (or another column order)', 'calibrator.classes');
    }
  }
  const n = options.probabilities.length;
  let pred: Int32Array;
  if (options.predictions !== undefined) {
    if (!Array.isArray(options.predictions) || options.predictions.length !== n) {
      invalid(`predictions must have one label per probability row (${n})`, 'predictions');
    }
    pred = labelIndices(options.predictions, k, classes, 'predictions');
  } else {
    pred = Int32Array.from(options.probabilities, argmax);
  }
  const q = calibrator ? calibrator.calibrate(options.probabilities) : options.probabilities;

  // Expected confusion matrix, and the accuracy's mean and variance.
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const predicted = new Float64Array(k);
  let hit = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const row = q[i]!;
    const p = pred[i]!;
    predicted[p]!++;
    for (let t = 0; t < k; t++) matrix[t]![p]! += row[t]!;
    const r = row[p]!;
    hit += r;
    variance += r * (1 - r);
  }
  const perClass = classes.map((c, j) => {
    const support = matrix[j]!.reduce((s, v) => s + v, 0);
    const tp = matrix[j]![j]!;
    const fp = Math.max(0, predicted[j]! - tp);
    const fn = Math.max(0, support - tp);
    return {
      label: c,
      expectedSupport: support,
      expectedTp: tp,
      expectedFp: fp,
      expectedFn: fn,
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      f1: ratio(2 * tp, 2 * tp + fp + fn),
    };
  });
  const macroF1 = perClass.reduce((s, c) => s + c.f1, 0) / k;
  const z = normalQuantile(1 - (1 - level) / 2);
  const accuracy = hit / n;
  const accuracySe = Math.sqrt(variance) / n;

  // Macro-F1 has no simple variance: simulate label sets from the calibrated probabilities.
  const cumulative = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) {
      s += q[i]![c]!;
      cumulative[i * k + c] = s;
    }
  }
  const random = seededRandom(options.seed ?? 0);
  const simulated = new Float64Array(draws);
  const tp = new Float64Array(k);
  const truth = new Float64Array(k);
  for (let d = 0; d < draws; d++) {
    tp.fill(0);
    truth.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * k;
      const u = random() * cumulative[o + k - 1]!;
      let t = 0;
      while (t < k - 1 && cumulative[o + t]! <= u) t++;
      truth[t]!++;
      if (t === pred[i]) tp[t]!++;
    }
    let f1 = 0;
    for (let c = 0; c < k; c++) f1 += ratio(2 * tp[c]!, predicted[c]! + truth[c]!);
    simulated[d] = f1 / k;
  }
  const mean = simulated.reduce((s, v) => s + v, 0) / draws;
  const f1Se = Math.sqrt(simulated.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, draws - 1));
  simulated.sort();
  const alpha = (1 - level) / 2;

  return {
    kind: 'mlops.monitoring/performance-estimate',
    schemaVersion: 1,
    n,
    classes: [...classes],
    calibration: calibrator?.method ?? 'none',
    confidenceLevel: level,
    accuracy: {
      estimate: accuracy,
      lower: Math.max(0, accuracy - z * accuracySe),
      upper: Math.min(1, accuracy + z * accuracySe),
      stdError: accuracySe,
    },
    macroF1: {
      estimate: macroF1,
      lower: quantileSorted(simulated, alpha),
      upper: quantileSorted(simulated, 1 - alpha),
      stdError: f1Se,
    },
    perClass,
    confusionMatrix: { labels: [...classes], matrix },
    interval: { accuracy: 'analytic', macroF1: 'simulation', draws },
  };
}
