import { isFeatureMatrix, MlopsError } from '@mlops/core';
import type { CsrMatrix, DenseMatrix } from '@mlops/core/preprocessing';

/** A checked feature matrix, tagged by storage. */
export type Matrix = { sparse: false; m: DenseMatrix } | { sparse: true; m: CsrMatrix };

function bad(message: string, path = 'x'): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

/** Checks the structure of a dense or CSR matrix (lengths, index ranges, finite values). */
export function checkMatrix(x: unknown, nFeatures?: number): Matrix {
  if (!isFeatureMatrix(x)) {
    bad('expected a feature matrix (DenseMatrix or CsrMatrix from core preprocessing)');
  }
  const { nRows, nCols } = x;
  if (!Number.isInteger(nRows) || nRows < 0 || !Number.isInteger(nCols) || nCols < 0) {
    bad('nRows and nCols must be non-negative integers');
  }
  if (nFeatures !== undefined && nCols !== nFeatures) {
    bad(`the matrix has ${nCols} columns but the model was trained on ${nFeatures} features`, 'x.nCols');
  }
  const csr = x as Partial<CsrMatrix>;
  if (csr.indptr !== undefined) {
    const { indptr, indices, values } = csr;
    if (!(indptr instanceof Int32Array) || !(indices instanceof Int32Array) || !(values instanceof Float64Array)) {
      bad('a CSR matrix needs Int32Array indptr/indices and Float64Array values');
    }
    if (indptr.length !== nRows + 1 || indptr[0] !== 0) bad('indptr must have nRows + 1 entries starting at 0');
    const nnz = indptr[nRows]!;
    if (indices.length < nnz || values.length < nnz) bad('indices/values are shorter than indptr says');
    for (let i = 0; i < nRows; i++) if (indptr[i + 1]! < indptr[i]!) bad(`indptr decreases at row ${i}`);
    for (let p = 0; p < nnz; p++) {
      const j = indices[p]!;
      if (j < 0 || j >= nCols) bad(`column index ${j} out of range [0, ${nCols})`, `x.indices.${p}`);
      if (!Number.isFinite(values[p]!)) bad(`value ${p} is not finite`, `x.values.${p}`);
    }
    return { sparse: true, m: x as CsrMatrix };
  }
  const dense = x as Partial<DenseMatrix>;
  if (!(dense.data instanceof Float64Array) || dense.data.length !== nRows * nCols) {
    bad('a dense matrix needs a Float64Array `data` of nRows × nCols values');
  }
  for (let p = 0; p < dense.data.length; p++) {
    if (!Number.isFinite(dense.data[p]!)) bad(`value at row ${Math.floor(p / nCols)} is not finite`, `x.data.${p}`);
  }
  return { sparse: false, m: x as DenseMatrix };
}

/**
 * Scores z = X·W + b for W stored feature-major (`w[j * k + c]`), written row-major into `out` (n × k).
 * `b` may be undefined (no intercept).
 */
export function scoresFeatureMajor(
  x: Matrix,
  w: Float64Array,
  b: Float64Array | undefined,
  k: number,
  out: Float64Array,
) {
  const n = x.m.nRows;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    for (let c = 0; c < k; c++) out[o + c] = b ? b[c]! : 0;
  }
  if (x.sparse) {
    const { indptr, indices, values } = x.m;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
        const v = values[p]!;
        const wo = indices[p]! * k;
        for (let c = 0; c < k; c++) out[o + c] = out[o + c]! + v * w[wo + c]!;
      }
    }
  } else {
    const { data, nCols } = x.m;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      const ro = i * nCols;
      for (let j = 0; j < nCols; j++) {
        const v = data[ro + j]!;
        if (v === 0) continue;
        const wo = j * k;
        for (let c = 0; c < k; c++) out[o + c] = out[o + c]! + v * w[wo + c]!;
      }
    }
  }
}

/** Accumulates Xᵀ·G into `grad` (feature-major, `grad[j * k + c]`), G row-major n × k. Never densifies X. */
export function addXtG(x: Matrix, g: Float64Array, k: number, grad: Float64Array) {
  const n = x.m.nRows;
  if (x.sparse) {
    const { indptr, indices, values } = x.m;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
        const v = values[p]!;
        const go = indices[p]! * k;
        for (let c = 0; c < k; c++) grad[go + c] = grad[go + c]! + v * g[o + c]!;
      }
    }
  } else {
    const { data, nCols } = x.m;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      const ro = i * nCols;
      for (let j = 0; j < nCols; j++) {
        const v = data[ro + j]!;
        if (v === 0) continue;
        const go = j * k;
        for (let c = 0; c < k; c++) grad[go + c] = grad[go + c]! + v * g[o + c]!;
      }
    }
  }
}

/** Scores z = X·coefᵀ + intercept for class-major `coef` (rows × nFeatures), row-major n × rows. */
export function scoresClassMajor(x: Matrix, coef: Float64Array, intercept: Float64Array, rows: number): Float64Array {
  const n = x.m.nRows;
  const f = x.m.nCols;
  const out = new Float64Array(n * rows);
  if (x.sparse) {
    const { indptr, indices, values } = x.m;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < rows; c++) {
        let s = intercept[c]!;
        const co = c * f;
        for (let p = indptr[i]!; p < indptr[i + 1]!; p++) s += values[p]! * coef[co + indices[p]!]!;
        out[i * rows + c] = s;
      }
    }
  } else {
    const { data } = x.m;
    for (let i = 0; i < n; i++) {
      const ro = i * f;
      for (let c = 0; c < rows; c++) {
        let s = intercept[c]!;
        const co = c * f;
        for (let j = 0; j < f; j++) s += data[ro + j]! * coef[co + j]!;
        out[i * rows + c] = s;
      }
    }
  }
  return out;
}
