// Threshold and curve helpers for a binary fail/pass score (the library metrics give the areas; these give points),
// and the fail metrics the retraining and the gate compute on a set of runs.
import { prAuc, rocAuc } from '@mlops/core/metrics';
import type { RandomForestModel } from '@mlops/plugin-random-forest';
import { FAIL } from './context.js';

/** One operating point of a score threshold: predict fail when score ≥ threshold. */
export interface OperatingPoint {
  threshold: number;
  recall: number;
  precision: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Every distinct threshold of `scores` (highest first) with its counts; `positive[i]` says row i is a fail. */
export function operatingPoints(positive: readonly boolean[], scores: ArrayLike<number>): OperatingPoint[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const totalPos = positive.filter(Boolean).length;
  const totalNeg = positive.length - totalPos;
  const points: OperatingPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (positive[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[i]) continue;
    points.push({
      threshold: scores[i]!,
      recall: totalPos === 0 ? 0 : tp / totalPos,
      precision: tp / (tp + fp),
      tp,
      fp,
      fn: totalPos - tp,
      tn: totalNeg - fp,
    });
  }
  return points;
}

/** The highest threshold whose fail recall reaches `target` (so precision is as high as that recall allows). */
export function thresholdForRecall(points: readonly OperatingPoint[], target: number): OperatingPoint {
  return points.find((p) => p.recall >= target) ?? points[points.length - 1]!;
}

/** The precision–recall curve as (recall, precision) points, starting at recall 0. */
export function prCurve(points: readonly OperatingPoint[]): [number, number][] {
  return [[0, points[0]?.precision ?? 1], ...points.map((p): [number, number] => [p.recall, p.precision])];
}

/** The ROC curve as (false positive rate, true positive rate) points, from (0, 0). */
export function rocCurve(points: readonly OperatingPoint[]): [number, number][] {
  return [
    [0, 0],
    ...points.map((p): [number, number] => [p.fp / Math.max(1, p.fp + p.tn), p.tp / Math.max(1, p.tp + p.fn)]),
  ];
}

/** Threshold-free and thresholded fail metrics of a model on a set of runs (the holdout of a retraining). */
export interface HoldoutMetrics {
  pr_auc: number;
  roc_auc: number;
  fail_recall: number;
  fail_precision: number;
  threshold: number;
  [key: string]: number;
}

/** Threshold-free and thresholded fail metrics; areas are 0 when the runs hold a single class. */
export function holdoutMetrics(y: readonly number[], score: ArrayLike<number>, threshold: number): HoldoutMetrics {
  const pos = y.filter((v) => v === FAIL).length;
  const both = pos > 0 && pos < y.length;
  let tp = 0;
  let flagged = 0;
  y.forEach((v, i) => {
    if (score[i]! >= threshold) {
      flagged++;
      if (v === FAIL) tp++;
    }
  });
  return {
    pr_auc: both ? prAuc([...y], Array.from(score), { posLabel: FAIL }) : 0,
    roc_auc: both ? rocAuc([...y], Array.from(score), { posLabel: FAIL }) : 0,
    fail_recall: pos === 0 ? 0 : tp / pos,
    fail_precision: flagged === 0 ? 0 : tp / flagged,
    threshold,
  };
}

/** P(fail) per row of a forest's class probabilities. */
export function failScores(model: RandomForestModel, proba: readonly (readonly number[])[]): Float64Array {
  const j = (model.classes as readonly (string | number)[]).indexOf(FAIL);
  return Float64Array.from(proba, (row) => row[j]!);
}

/** The metrics with `p` in front of every name. */
export function prefix(p: string, m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [`${p}${k}`, v]));
}

/** The `n` most important sensors of the forest (impurity importance). */
export function topSensors(model: RandomForestModel, n: number): string[] {
  return model.featureImportances
    .map((v, j) => [v, model.featureNames[j]!] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, n)
    .map(([, name]) => name);
}
