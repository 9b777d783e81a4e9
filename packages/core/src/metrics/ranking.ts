import { type ClassLabel, checkLabels, invalid, uniqueLabels } from './_labels.js';

/** Options of {@link rocAuc} and {@link prAuc}. */
export interface RankingOptions {
  /**
   * Binary scores: the class the scores are for. @default the greater of the two labels in yTrue
   * (1 for 0/1 labels); must be given for string labels when yTrue holds a single class
   */
  posLabel?: ClassLabel;
  /** Probability matrix: the class of each column, in order. @default sorted distinct labels of yTrue */
  labels?: ClassLabel[];
  /** Probability matrix: average of the one-vs-rest scores, unweighted or weighted by class support. @default 'macro' */
  average?: 'macro' | 'weighted';
}

/** Scores for a ranking metric: one score per sample (binary) or one row of class probabilities per sample. */
export type RankingScores = readonly number[] | Float64Array | readonly ArrayLike<number>[];

interface Curve {
  /** Cumulative true / false positives at each distinct threshold, highest threshold first. */
  tps: Float64Array;
  fps: Float64Array;
}

function binaryCurve(positive: Uint8Array, score: ArrayLike<number>): Curve {
  const n = positive.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (positive[i]) tp++;
    else fp++;
    if (k === n - 1 || score[order[k + 1]!] !== score[i]) {
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { tps: Float64Array.from(tps), fps: Float64Array.from(fps) };
}

function binaryRocAuc(positive: Uint8Array, score: ArrayLike<number>): number {
  const { tps, fps } = binaryCurve(positive, score);
  const P = tps[tps.length - 1]!;
  const N = fps[fps.length - 1]!;
  if (P === 0 || N === 0) {
    invalid('ROC-AUC is undefined when yTrue holds a single class', 'yTrue');
  }
  let auc = 0;
  let x0 = 0;
  let y0 = 0;
  for (let k = 0; k < tps.length; k++) {
    const x = fps[k]! / N;
    const y = tps[k]! / P;
    auc += ((x - x0) * (y + y0)) / 2;
    x0 = x;
    y0 = y;
  }
  return auc;
}

function binaryAveragePrecision(positive: Uint8Array, score: ArrayLike<number>): number {
  const { tps, fps } = binaryCurve(positive, score);
  const P = tps[tps.length - 1]!;
  let ap = 0;
  let r0 = 0;
  for (let k = 0; k < tps.length; k++) {
    // sklearn sets recall to 1 everywhere when there is no positive sample (AP is then 0).
    const r = P === 0 ? 1 : tps[k]! / P;
    ap += (r - r0) * (tps[k]! / (tps[k]! + fps[k]!));
    r0 = r;
  }
  return ap;
}

function isMatrix(scores: RankingScores): scores is readonly ArrayLike<number>[] {
  return scores.length > 0 && typeof scores[0] !== 'number';
}

function checkScores(scores: ArrayLike<number>, n: number, path: string): void {
  if (scores.length !== n) invalid(`${path} has ${scores.length} values, expected ${n}`, path);
  for (let i = 0; i < scores.length; i++) {
    if (typeof scores[i] !== 'number' || !Number.isFinite(scores[i]))
      invalid(`${path}[${i}] must be a finite number`, `${path}.${i}`);
  }
}

function rank(
  yTrue: readonly ClassLabel[],
  scores: RankingScores,
  options: RankingOptions,
  binary: (positive: Uint8Array, score: ArrayLike<number>) => number,
): number {
  const type = checkLabels(yTrue, 'yTrue');
  const n = yTrue.length;
  if (!isMatrix(scores)) {
    checkScores(scores, n, 'scores');
    const present = uniqueLabels(yTrue);
    let pos = options.posLabel;
    if (pos === undefined) {
      if (present.length > 2) invalid('yTrue holds more than two classes: pass a probability matrix', 'scores');
      if (present.length === 2) pos = present[1]!;
      else if (type === 'number') pos = 1;
      else invalid('yTrue holds a single class: pass posLabel', 'posLabel');
    }
    return binary(
      Uint8Array.from(yTrue, (y) => (y === pos ? 1 : 0)),
      scores,
    );
  }
  const labels = options.labels ?? uniqueLabels(yTrue);
  if (scores.length !== n) invalid(`scores has ${scores.length} rows, expected ${n}`, 'scores');
  const k = labels.length;
  const weights: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < k; j++) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = scores[i]!;
      if (row.length !== k)
        invalid(`scores row ${i} has ${row.length} columns, expected ${k} (one per label)`, `scores.${i}`);
      column[i] = row[j]!;
    }
    checkScores(column, n, `scores[*][${j}]`);
    const positive = Uint8Array.from(yTrue, (y) => (y === labels[j] ? 1 : 0));
    values.push(binary(positive, column));
    weights.push(positive.reduce((a, b) => a + b, 0));
  }
  if (options.average === 'weighted') {
    const total = weights.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : values.reduce((s, v, j) => s + v * weights[j]!, 0) / total;
  }
  return values.reduce((a, b) => a + b, 0) / k;
}

/**
 * Area under the ROC curve, in [0, 1] (sklearn `roc_auc_score`; tied scores count half). Binary: one score per
 * sample for `posLabel`. Multiclass: a probability row per sample, averaged one-vs-rest. Throws INVALID_INPUT when a
 * class has no positive or no negative sample, where AUC is undefined.
 */
export function rocAuc(yTrue: readonly ClassLabel[], scores: RankingScores, options: RankingOptions = {}): number {
  return rank(yTrue, scores, options, binaryRocAuc);
}

/**
 * Area under the precision-recall curve as average precision, in [0, 1] (sklearn `average_precision_score`:
 * Σ (Rₙ − Rₙ₋₁) Pₙ, no interpolation). Same score shapes as {@link rocAuc}; 0 when there is no positive sample.
 */
export function prAuc(yTrue: readonly ClassLabel[], scores: RankingScores, options: RankingOptions = {}): number {
  return rank(yTrue, scores, options, binaryAveragePrecision);
}
