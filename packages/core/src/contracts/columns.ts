import type { CsrMatrix, DenseMatrix } from '../preprocessing/types.js';

/** A typed array holding one numeric value per row. */
export type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array;

/**
 * The values of one column, one entry per row: a typed array for scalar numbers (`BigInt64Array` for int64), or a
 * plain array (strings, booleans, `null` for a missing value, or one nested value per row for tensor-shaped inputs).
 */
export type ColumnValues = NumericArray | BigInt64Array | readonly unknown[];

/**
 * A batch in column form: `{ age: Float64Array [31, 45], city: ['Paris', 'Lyon'] }`. Every column has the same
 * number of rows. This is what a {@link Predictor} takes and returns.
 */
export type Columns = Record<string, ColumnValues>;

/** One row of a batch: `{ age: 31, city: 'Paris' }`. */
export type InputRecord = Record<string, unknown>;

/** A feature matrix produced by preprocessing (dense row-major or sparse CSR), as a model's predictor may take it. */
export type FeatureMatrix = DenseMatrix | CsrMatrix;

/** What a flavor's own predictor receives: raw columns, or the matrix the package's preprocessing produced. */
export type ModelInput = Columns | FeatureMatrix;

/** True when `x` is a {@link FeatureMatrix} (dense or CSR) rather than {@link Columns}. */
export function isFeatureMatrix(x: unknown): x is FeatureMatrix {
  if (x === null || typeof x !== 'object') return false;
  const m = x as { nRows?: unknown; nCols?: unknown };
  return typeof m.nRows === 'number' && typeof m.nCols === 'number';
}

/** The number of rows of a batch; throws `RangeError` when columns have different lengths. */
export function columnsLength(columns: Columns): number {
  let n: number | undefined;
  for (const [name, col] of Object.entries(columns)) {
    if (n === undefined) n = col.length;
    else if (col.length !== n) throw new RangeError(`column "${name}" has ${col.length} rows, expected ${n}`);
  }
  return n ?? 0;
}

/** Converts one value to JSON-safe form: typed arrays become arrays, bigints numbers (or strings beyond 2^53), NaN null. */
export function toJsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'string':
    case 'boolean':
      return v;
    case 'object': {
      if (ArrayBuffer.isView(v)) {
        return Array.from(v as unknown as ArrayLike<unknown>, toJsonValue);
      }
      if (Array.isArray(v)) return v.map(toJsonValue);
      if (v instanceof Date) return v.toISOString();
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
      return out;
    }
    default:
      return null;
  }
}

/** Splits a batch into one JSON-safe record per row (for logging each prediction of a request on its own). */
export function columnsToRecords(columns: Columns): InputRecord[] {
  const n = columnsLength(columns);
  const names = Object.keys(columns);
  const out: InputRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r: InputRecord = {};
    for (const name of names) r[name] = toJsonValue((columns[name] as ArrayLike<unknown>)[i]);
    out[i] = r;
  }
  return out;
}

/** Turns records into plain-array columns (missing fields become `null`), the inverse of {@link columnsToRecords}. */
export function recordsToColumns(records: readonly InputRecord[], names?: readonly string[]): Columns {
  const keys = names ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  const out: Record<string, unknown[]> = {};
  for (const k of keys) out[k] = records.map((r) => (r[k] === undefined ? null : r[k]));
  return out;
}
