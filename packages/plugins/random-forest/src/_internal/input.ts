import { type Columns, type FieldIssue, isFeatureMatrix, MlopsError, type ModelInput } from '@mlops/core';
import type { CsrMatrix, DenseMatrix } from '@mlops/core/preprocessing';

/** Features as a row-major matrix with column names. */
export interface DenseFeatures {
  data: Float64Array;
  nRows: number;
  nCols: number;
  columns: string[];
}

/** Throws `INVALID_INPUT` with one field issue. */
export function invalid(message: string, path = '', details?: FieldIssue[]): never {
  throw new MlopsError('INVALID_INPUT', { message, details: details ?? [{ path, message }] });
}

function defaultNames(n: number): string[] {
  return Array.from({ length: n }, (_, j) => `f${j}`);
}

function fromCsr(m: CsrMatrix): DenseFeatures {
  const data = new Float64Array(m.nRows * m.nCols);
  for (let i = 0; i < m.nRows; i++) {
    for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) data[i * m.nCols + m.indices[p]!] = m.values[p]!;
  }
  return { data, nRows: m.nRows, nCols: m.nCols, columns: m.columns ? [...m.columns] : defaultNames(m.nCols) };
}

function fromColumns(cols: Columns, names: readonly string[] | undefined): DenseFeatures {
  const keys = names ?? Object.keys(cols);
  let nRows: number | undefined;
  for (const k of keys) {
    const c = cols[k];
    if (c === undefined) invalid(`missing feature column "${k}"`, k);
    if (nRows === undefined) nRows = c.length;
    else if (c.length !== nRows) invalid(`column "${k}" has ${c.length} rows, expected ${nRows}`, k);
  }
  const n = nRows ?? 0;
  const nCols = keys.length;
  const data = new Float64Array(n * nCols);
  keys.forEach((k, j) => {
    const c = cols[k] as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) {
      const v = c[i];
      if (typeof v === 'number') data[i * nCols + j] = v;
      else if (typeof v === 'bigint') data[i * nCols + j] = Number(v);
      else if (v === null || v === undefined) data[i * nCols + j] = Number.NaN;
      else invalid(`column "${k}" row ${i} is not a number (encode it upstream)`, `${k}.${i}`);
    }
  });
  return { data, nRows: n, nCols, columns: [...keys] };
}

/**
 * Turns model input into a dense matrix: a {@link DenseMatrix} as is, a CSR matrix densified, `{ x: matrix }`, or
 * numeric {@link Columns} (in `names` order when given, else in key order).
 */
export function toDense(input: ModelInput | Record<string, unknown>, names?: readonly string[]): DenseFeatures {
  if (input === null || typeof input !== 'object') invalid('features must be a matrix or columns');
  if (isFeatureMatrix(input)) {
    if ('data' in input) {
      const m = input as DenseMatrix;
      if (m.data.length !== m.nRows * m.nCols) invalid(`matrix has ${m.data.length} values, expected nRows × nCols`);
      return {
        data: m.data,
        nRows: m.nRows,
        nCols: m.nCols,
        columns: m.columns?.length === m.nCols ? m.columns : defaultNames(m.nCols),
      };
    }
    return fromCsr(input as CsrMatrix);
  }
  const entries = Object.entries(input);
  if (entries.length === 1 && isFeatureMatrix(entries[0]![1])) return toDense(entries[0]![1] as ModelInput);
  return fromColumns(input as Columns, names);
}

/**
 * Throws `INVALID_INPUT` naming the first column holding a missing value (ml-cart compares with `<`, so NaN would
 * silently go right): impute upstream, e.g. with core's `imputer()`.
 */
export function requireFinite(x: DenseFeatures): void {
  const { data, nRows, nCols } = x;
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) {
      const v = data[i * nCols + j]!;
      if (!Number.isFinite(v)) {
        const name = x.columns[j] ?? `f${j}`;
        let count = 0;
        for (let r = 0; r < nRows; r++) if (!Number.isFinite(data[r * nCols + j]!)) count++;
        invalid(
          `column "${name}" has ${count} missing or non-finite value(s) (first at row ${i}): random forests need ` +
            'complete numeric features, so impute upstream (e.g. core imputer() before denseMatrix())',
          `${name}.${i}`,
        );
      }
    }
  }
}
