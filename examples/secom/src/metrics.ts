// Threshold and curve helpers for a binary fail/pass score (the library metrics give the areas; these give points).

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
