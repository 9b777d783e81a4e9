import { MlopsError } from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';

/** Rows of class probabilities: one row per prediction, one column per class (plain arrays or typed arrays). */
export type ProbabilityRows = readonly ArrayLike<number>[];

/** How far a row may sum from 1 (float32 model outputs sum within ~1e-6; softmax scores are not rescaled here). */
const ROW_SUM_TOLERANCE = 1e-3;

export function invalid(message: string, path: string): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

/** Whether `row` holds `k` finite probabilities in [0, 1] that sum to 1 (as {@link checkProbabilities} requires). */
export function isProbabilityRow(row: unknown, k: number): row is ArrayLike<number> {
  if (row === null || typeof row !== 'object' || (row as ArrayLike<unknown>).length !== k) return false;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const p = (row as ArrayLike<unknown>)[c];
    if (typeof p !== 'number' || !(Number.isFinite(p) && p >= 0 && p <= 1)) return false;
    sum += p;
  }
  return Math.abs(sum - 1) <= ROW_SUM_TOLERANCE;
}

/** Checks that `rows` is a non-empty matrix of probabilities with `nClasses` (or a common number of) columns. */
export function checkProbabilities(rows: ProbabilityRows, nClasses?: number, path = 'probabilities'): number {
  if (!Array.isArray(rows)) invalid(`${path} must be an array of probability rows`, path);
  if (rows.length === 0) invalid(`${path} is empty`, path);
  const k = nClasses ?? rows[0]?.length ?? 0;
  if (k < 2) invalid(`${path} needs at least 2 classes, got ${k}`, path);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || row.length !== k) {
      invalid(`${path}[${i}] must hold ${k} probabilities`, `${path}.${i}`);
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const p = row[c]!;
      if (!(Number.isFinite(p) && p >= 0 && p <= 1)) {
        invalid(`${path}[${i}][${c}] must be a probability in [0, 1], got ${p}`, `${path}.${i}.${c}`);
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      invalid(`${path}[${i}] sums to ${sum}, not 1`, `${path}.${i}`);
    }
  }
  return k;
}

/** The index of the largest probability of a row (ties: the first, as argmax and the linear plugin's predict). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

/**
 * Maps labels to column indices: through `classes` when given, else the labels must be column indices already.
 */
export function labelIndices(
  labels: readonly ClassLabel[],
  k: number,
  classes: readonly ClassLabel[] | undefined,
  path: string,
): Int32Array {
  if (!Array.isArray(labels)) invalid(`${path} must be an array of labels`, path);
  const out = new Int32Array(labels.length);
  const index = classes ? new Map<ClassLabel, number>(classes.map((c, i) => [c, i])) : undefined;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const j = index ? index.get(y) : typeof y === 'number' && Number.isInteger(y) && y >= 0 && y < k ? y : undefined;
    if (j === undefined) {
      invalid(
        index
          ? `${path}[${i}] is ${JSON.stringify(y)}, not one of the classes`
          : `${path}[${i}] must be a column index in [0, ${k}) (or pass classes)`,
        `${path}.${i}`,
      );
    }
    out[i] = j;
  }
  return out;
}

/** Checks a class list: `k` unique labels. */
export function checkClasses(classes: readonly ClassLabel[], k: number, path = 'classes'): void {
  if (!Array.isArray(classes) || classes.length !== k) {
    invalid(`${path} must list the ${k} classes of the probability columns, in column order`, path);
  }
  if (new Set(classes).size !== classes.length) invalid(`${path} has duplicates`, path);
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    if (!(typeof c === 'string' || (typeof c === 'number' && Number.isFinite(c)))) {
      invalid(`${path}[${i}] must be a string or a finite number`, `${path}.${i}`);
    }
  }
}
