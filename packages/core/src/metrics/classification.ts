import { type ClassLabel, checkLabels, checkPair, invalid, uniqueLabels } from './_labels.js';

/** Value used for a precision or recall whose denominator is 0 (sklearn's `zero_division`). */
export type ZeroDivision = 0 | 1;

/** Options of {@link precisionRecallF1}. */
export interface PrecisionRecallF1Options {
  /** Classes to report, in this order; averages are over these only. @default sorted union of yTrue and yPred */
  labels?: ClassLabel[];
  /** Precision of a class never predicted / recall of a class never true. @default 0 */
  zeroDivision?: ZeroDivision;
}

/** Precision, recall and F1 of one class, with its support (number of true samples). */
export interface ClassScores {
  label: ClassLabel;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** An averaged precision / recall / F1. */
export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

/** Result of {@link precisionRecallF1}. */
export interface PrecisionRecallF1 {
  labels: ClassLabel[];
  perClass: ClassScores[];
  /** Unweighted mean over classes. */
  macro: AveragedScores;
  /** Mean over classes weighted by support. */
  weighted: AveragedScores;
  /** From the summed counts over classes. */
  micro: AveragedScores;
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Row / column order; samples whose true or predicted label is not listed are left out. @default sorted union of yTrue and yPred */
  labels?: ClassLabel[];
}

/** Confusion matrix: `matrix[i][j]` counts samples of true class `labels[i]` predicted as `labels[j]`. */
export interface ConfusionMatrix {
  labels: ClassLabel[];
  matrix: number[][];
}

/** Options of {@link balancedAccuracy}. */
export interface BalancedAccuracyOptions {
  /** Rescale so that chance scores 0 and perfect scores 1 (NaN with a single class). @default false */
  adjusted?: boolean;
}

function resolveLabels(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  labels: ClassLabel[] | undefined,
): ClassLabel[] {
  if (labels === undefined) return uniqueLabels(yTrue, yPred);
  checkLabels(labels, 'labels');
  if (new Set(labels).size !== labels.length) invalid('labels has duplicates', 'labels');
  return [...labels];
}

/** Fraction of exact matches, in [0, 1] (sklearn `accuracy_score`). */
export function accuracy(yTrue: readonly ClassLabel[], yPred: readonly ClassLabel[]): number {
  checkPair(yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/** Confusion matrix with true classes as rows and predictions as columns (sklearn `confusion_matrix`). */
export function confusionMatrix(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  options: ConfusionMatrixOptions = {},
): ConfusionMatrix {
  checkPair(yTrue, yPred);
  const labels = resolveLabels(yTrue, yPred, options.labels);
  const index = new Map<ClassLabel, number>();
  labels.forEach((l, i) => {
    index.set(l, i);
  });
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]!);
    const p = index.get(yPred[i]!);
    if (t !== undefined && p !== undefined) matrix[t]![p]!++;
  }
  return { labels, matrix };
}

/** Per-class counts: true positives, predicted and true totals, in `labels` order. */
function counts(yTrue: readonly ClassLabel[], yPred: readonly ClassLabel[], labels: ClassLabel[]) {
  const index = new Map<ClassLabel, number>();
  labels.forEach((l, i) => {
    index.set(l, i);
  });
  const tp = new Array<number>(labels.length).fill(0);
  const pred = new Array<number>(labels.length).fill(0);
  const truth = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]!);
    const p = index.get(yPred[i]!);
    if (t !== undefined) truth[t]!++;
    if (p !== undefined) pred[p]!++;
    if (t !== undefined && t === p) tp[t]!++;
  }
  return { tp, pred, truth };
}

function scores(tp: number, pred: number, truth: number, zd: ZeroDivision): AveragedScores {
  const precision = pred === 0 ? zd : tp / pred;
  const recall = truth === 0 ? zd : tp / truth;
  const denom = precision + recall;
  // Same expression as sklearn 1.2, so results match to the last bit where possible.
  const f1 = ((1 + 1) * precision * recall) / (denom === 0 ? 1 : denom);
  return { precision, recall, f1 };
}

/**
 * Precision, recall and F1 per class plus macro, weighted and micro averages, with sklearn
 * `precision_recall_fscore_support` semantics (including `zeroDivision` for undefined ratios).
 */
export function precisionRecallF1(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  options: PrecisionRecallF1Options = {},
): PrecisionRecallF1 {
  checkPair(yTrue, yPred);
  const zd = options.zeroDivision ?? 0;
  if (zd !== 0 && zd !== 1) invalid('zeroDivision must be 0 or 1', 'zeroDivision');
  const labels = resolveLabels(yTrue, yPred, options.labels);
  const { tp, pred, truth } = counts(yTrue, yPred, labels);
  const perClass = labels.map((label, i) => ({
    label,
    ...scores(tp[i]!, pred[i]!, truth[i]!, zd),
    support: truth[i]!,
  }));
  const k = perClass.length;
  const mean = (key: keyof AveragedScores) => perClass.reduce((s, c) => s + c[key], 0) / k;
  const macro = { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') };
  const totalTrue = truth.reduce((a, b) => a + b, 0);
  const totalPred = pred.reduce((a, b) => a + b, 0);
  let weighted: AveragedScores;
  if (totalTrue === 0) {
    weighted = totalPred === 0 ? { precision: zd, recall: zd, f1: zd } : { precision: 0, recall: zd, f1: 0 };
  } else {
    const w = (key: keyof AveragedScores) => perClass.reduce((s, c) => s + c[key] * c.support, 0) / totalTrue;
    weighted = { precision: w('precision'), recall: w('recall'), f1: w('f1') };
  }
  const micro = scores(
    tp.reduce((a, b) => a + b, 0),
    totalPred,
    totalTrue,
    zd,
  );
  return { labels, perClass, macro, weighted, micro };
}

/** Mean per-class recall over the classes present in yTrue, in [0, 1] (sklearn `balanced_accuracy_score`). */
export function balancedAccuracy(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  options: BalancedAccuracyOptions = {},
): number {
  checkPair(yTrue, yPred);
  const labels = uniqueLabels(yTrue);
  const { tp, truth } = counts(yTrue, yPred, labels);
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += tp[i]! / truth[i]!;
  let score = s / labels.length;
  if (options.adjusted) {
    const chance = 1 / labels.length;
    score = (score - chance) / (1 - chance);
  }
  return score;
}
