import { MlopsError } from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { attr, DT, type GraphBuilder, tensor } from '../_internal/graph.js';

/**
 * A fitted logistic / softmax regression, matching `@mlops/plugin-linear`'s `LinearModel` structurally (so this
 * package does not need the linear plugin at run time).
 */
export interface LinearModelLike {
  /** `binary`: one coefficient row and a sigmoid; `multinomial`: one row per class and a softmax. */
  kind: 'binary' | 'multinomial';
  /** Sorted classes. */
  classes: readonly ClassLabel[];
  /** Row-major coefficients, rows × nFeatures (rows = 1 for binary, else the number of classes). */
  coef: Float64Array;
  /** One intercept per row. */
  intercept: Float64Array;
  nFeatures: number;
}

/** True when `m` looks like a {@link LinearModelLike}. */
export function isLinearModelLike(m: unknown): m is LinearModelLike {
  const x = m as Partial<LinearModelLike> | null;
  return (
    x !== null &&
    typeof x === 'object' &&
    (x.kind === 'binary' || x.kind === 'multinomial') &&
    Array.isArray(x.classes) &&
    x.coef instanceof Float64Array &&
    x.intercept instanceof Float64Array &&
    typeof x.nFeatures === 'number'
  );
}

function checkShape(m: LinearModelLike, nFeatures: number): number {
  const rows = m.kind === 'binary' ? 1 : m.classes.length;
  if (m.nFeatures !== nFeatures) {
    throw new MlopsError('INVALID_INPUT', {
      message: `the linear model takes ${m.nFeatures} features but the preprocessing produces ${nFeatures}`,
    });
  }
  if (m.coef.length !== rows * nFeatures || m.intercept.length !== rows) {
    throw new MlopsError('INVALID_INPUT', { message: `coef/intercept do not match ${rows} × ${nFeatures}` });
  }
  return rows;
}

/** coef (rows × F, row-major) transposed to F × rows, as a float64 constant. */
function coefT(b: GraphBuilder, m: LinearModelLike, rows: number): string {
  const f = m.nFeatures;
  const wt = new Float64Array(f * rows);
  for (let r = 0; r < rows; r++) for (let j = 0; j < f; j++) wt[j * rows + r] = m.coef[r * f + j]!;
  return b.constant('coef_t', tensor.double([f, rows], wt));
}

/** Scores [N, rows] = x · coefᵀ + intercept on a float64 [N, F] tensor. */
export function linearScores(b: GraphBuilder, x: string, nFeatures: number, m: LinearModelLike): string {
  const rows = checkShape(m, nFeatures);
  return b.op('Add', [
    b.op('MatMul', [x, coefT(b, m, rows)]),
    b.constant('intercept', tensor.double([rows], m.intercept)),
  ]);
}

/**
 * Scores [N, rows] from sparse rows given as padded `indices` (int64 [N, K]) and `values` ([N, K], 0 for padding):
 * Σₖ values[n, k] · coefᵀ[indices[n, k]] + intercept. Cost grows with the non-zeros, not with the vocabulary.
 */
export function linearScoresSparse(b: GraphBuilder, indices: string, values: string, m: LinearModelLike): string {
  const rows = checkShape(m, m.nFeatures);
  const gathered = b.op('Gather', [coefT(b, m, rows), indices], { attrs: [attr.int('axis', 0)] });
  const v = b.op('Unsqueeze', [values, b.constant('axes', tensor.int64([1], [2]))]);
  const summed = b.op('ReduceSum', [b.op('Mul', [gathered, v]), b.constant('axes', tensor.int64([1], [1]))], {
    attrs: [attr.int('keepdims', 0)],
  });
  return b.op('Add', [summed, b.constant('intercept', tensor.double([rows], m.intercept))]);
}

/**
 * Linear model head on float64 scores: Sigmoid (binary) or Softmax. Computing in float64 keeps scores within
 * rounding of the JS model, so the predicted labels agree row for row. Emits the int64 class index `label` [N] and
 * float32 `probabilities` [N, C].
 */
export function linearHead(b: GraphBuilder, z: string, m: LinearModelLike): { label: string; probabilities: string } {
  let probs: string;
  let label: string;
  if (m.kind === 'binary') {
    const p1 = b.op('Sigmoid', [z]);
    const p0 = b.op('Sub', [b.constant('one', tensor.double([1, 1], [1])), p1]);
    probs = b.op('Concat', [p0, p1], { attrs: [attr.int('axis', 1)] });
    // As the JS model (and sklearn): class 1 where the score is > 0.
    const positive = b.op('Greater', [z, b.constant('zero', tensor.double([], [0]))]);
    const asInt = b.op('Cast', [positive], { attrs: [attr.int('to', DT.INT64)] });
    label = b.op('Reshape', [asInt, b.constant('shape', tensor.int64([1], [-1]))], { output: 'label' });
  } else {
    probs = b.op('Softmax', [z], { attrs: [attr.int('axis', 1)] });
    label = b.op('ArgMax', [z], { output: 'label', attrs: [attr.int('axis', 1), attr.int('keepdims', 0)] });
  }
  const probabilities = b.op('Cast', [probs], { output: 'probabilities', attrs: [attr.int('to', DT.FLOAT)] });
  return { label, probabilities };
}
