import { type FeatureMatrix, MlopsError } from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { checkMatrix, scoresClassMajor } from './_internal/matrix.js';

/** `binary`: one coefficient row and a sigmoid; `multinomial`: one row per class and a softmax. */
export type LinearModelKind = 'binary' | 'multinomial';

/** How training went (absent on a model built by hand). */
export interface LinearTrainingInfo {
  /** L-BFGS iterations run. */
  nIter: number;
  /** True when a stopping tolerance was met (false: `maxIter` was reached first, like sklearn's ConvergenceWarning). */
  converged: boolean;
  /** Final training objective per unit of sample weight (log loss + L2 penalty). */
  loss: number;
}

/** What {@link linearModel} needs: the classes and the fitted coefficients. */
export interface LinearModelInit {
  /** `binary` needs exactly 2 classes and 1 coefficient row; `multinomial` one row per class. */
  kind: LinearModelKind;
  /** Sorted classes (numbers ascending, strings by code point), as sklearn's `classes_`. */
  classes: readonly ClassLabel[];
  /** Row-major coefficients, `rows × nFeatures` (rows = 1 for binary, else the number of classes). */
  coef: Float64Array;
  /** One intercept per row (zeros when fitted without intercept). */
  intercept: Float64Array;
  /** Number of input features. */
  nFeatures: number;
  /** How training went. @default undefined */
  info?: LinearTrainingInfo;
}

/** A fitted logistic / softmax regression: sklearn's `coef_` / `intercept_` / `classes_` plus prediction methods. */
export interface LinearModel extends Readonly<LinearModelInit> {
  /** Raw scores (`decision_function`), row-major n × rows. */
  decisionFunction(x: FeatureMatrix): Float64Array;
  /** Class probabilities, row-major n × nClasses (each row sums to 1), in `classes` order. */
  predictProbaMatrix(x: FeatureMatrix): Float64Array;
  /** Class probabilities, one array per row, in `classes` order. */
  predictProba(x: FeatureMatrix): number[][];
  /** The most probable class per row (ties: the first class, as numpy's argmax). */
  predict(x: FeatureMatrix): ClassLabel[];
}

function invalid(message: string, path: string): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

/** Numerically stable logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Builds a {@link LinearModel} from coefficients (checked for shape and finiteness). */
export function linearModel(init: LinearModelInit): LinearModel {
  const { kind, classes, coef, intercept, nFeatures } = init;
  const k = classes.length;
  if (k < 2) invalid('a model needs at least 2 classes', 'classes');
  if (new Set(classes).size !== k) invalid('classes must be unique', 'classes');
  if (kind === 'binary' && k !== 2) invalid(`a binary model has 2 classes, got ${k}`, 'classes');
  if (!Number.isInteger(nFeatures) || nFeatures < 0) invalid('nFeatures must be a non-negative integer', 'nFeatures');
  const rows = kind === 'binary' ? 1 : k;
  if (!(coef instanceof Float64Array) || coef.length !== rows * nFeatures) {
    invalid(`coef must be a Float64Array of ${rows} × ${nFeatures} values`, 'coef');
  }
  if (!(intercept instanceof Float64Array) || intercept.length !== rows) {
    invalid(`intercept must be a Float64Array of ${rows} values`, 'intercept');
  }
  for (const [name, a] of [
    ['coef', coef],
    ['intercept', intercept],
  ] as const) {
    if (!a.every(Number.isFinite)) invalid(`${name} has a value that is not finite`, name);
  }

  const decisionFunction = (x: FeatureMatrix) => scoresClassMajor(checkMatrix(x, nFeatures), coef, intercept, rows);

  const predictProbaMatrix = (x: FeatureMatrix): Float64Array => {
    const z = decisionFunction(x);
    const n = x.nRows;
    const p = new Float64Array(n * k);
    if (kind === 'binary') {
      for (let i = 0; i < n; i++) {
        const p1 = sigmoid(z[i]!);
        p[2 * i] = 1 - p1;
        p[2 * i + 1] = p1;
      }
      return p;
    }
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) max = Math.max(max, z[o + c]!);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(z[o + c]! - max);
        p[o + c] = e;
        sum += e;
      }
      for (let c = 0; c < k; c++) p[o + c] = p[o + c]! / sum;
    }
    return p;
  };

  return {
    kind,
    classes: [...classes],
    coef,
    intercept,
    nFeatures,
    ...(init.info ? { info: { ...init.info } } : {}),
    decisionFunction,
    predictProbaMatrix,
    predictProba(x) {
      const p = predictProbaMatrix(x);
      return Array.from({ length: x.nRows }, (_, i) => Array.from(p.subarray(i * k, (i + 1) * k)));
    },
    predict(x) {
      const n = x.nRows;
      const out: ClassLabel[] = new Array(n);
      if (kind === 'binary') {
        // sklearn: classes[1] where the score is > 0.
        const z = decisionFunction(x);
        for (let i = 0; i < n; i++) out[i] = classes[z[i]! > 0 ? 1 : 0]!;
        return out;
      }
      const z = decisionFunction(x);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (z[i * k + c]! > z[i * k + best]!) best = c;
        out[i] = classes[best]!;
      }
      return out;
    },
  };
}
