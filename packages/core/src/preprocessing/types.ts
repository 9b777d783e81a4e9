import type { z } from 'zod';
import { type FieldIssue, MlopsError } from '../errors.js';
import { invalidInput, zodIssues } from '../validation.js';

/** One cell of a {@link Frame}: a number, a string, or `null` for missing (`NaN` is missing too). */
export type FrameCell = number | string | null;

/**
 * Column-oriented table that preprocessing takes in and (for column-wise steps) gives back:
 * `{ age: [31, null, 45], city: ['Paris', 'Lyon', null] }`. Every column has the same length.
 */
export type Frame = Record<string, FrameCell[]>;

/** Dense numeric matrix, row-major: the value of row `i`, column `j` is `data[i * nCols + j]`. */
export interface DenseMatrix {
  /** Column names, `nCols` of them. */
  columns: string[];
  nRows: number;
  nCols: number;
  /** `nRows * nCols` values, row after row. */
  data: Float64Array;
}

/** Sparse matrix in compressed sparse row form (as scipy's `csr_matrix`): row `i` is `indptr[i]..indptr[i+1]`. */
export interface CsrMatrix {
  nRows: number;
  nCols: number;
  /** `nRows + 1` offsets into `indices` / `values`. */
  indptr: Int32Array;
  /** Column of each stored value; increasing within a row. */
  indices: Int32Array;
  /** Stored (non-zero) values. */
  values: Float64Array;
  /** Feature names (TF-IDF vocabulary); absent for hashed features. */
  columns?: string[];
}

/** JSON state of a fitted transformer: a versioned envelope plus the transformer's own fields. */
export interface TransformerState {
  kind: string;
  schemaVersion: number;
  [key: string]: unknown;
}

/** A fitted transformer: applies what it learned at fit time, and serialises it. */
export interface FittedTransformer<In = Frame, Out = unknown> {
  /** `mlops.core/<name>`, also the `kind` of its JSON state. */
  readonly kind: string;
  /** Applies the fitted state to new data; never refits. */
  transform(data: In): Out;
  /** Versioned, JSON-safe state; `loadTransformer(toJSON())` rebuilds an identical transformer. */
  toJSON(): TransformerState;
}

/** An unfitted transformer: learns its state from training data. */
export interface Transformer<
  In = Frame,
  Out = unknown,
  F extends FittedTransformer<In, Out> = FittedTransformer<In, Out>,
> {
  /** `mlops.core/<name>`. */
  readonly kind: string;
  /** Learns from training data only and returns the fitted transformer. */
  fit(data: In): F;
}

/** Throws an `INVALID_INPUT` {@link MlopsError}. */
export function invalid(message: string, issues: FieldIssue[] = [{ path: '', message }]): never {
  throw new MlopsError('INVALID_INPUT', { message, details: issues });
}

/** True for `null`, `undefined` and `NaN`. */
export function isMissing(v: unknown): v is null | undefined {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Checks that `data` is a frame with equal-length columns and returns its row count. */
export function frameRows(data: unknown, where = 'data'): number {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    invalid(`${where} must be a column-oriented object { column: values[] }`);
  }
  let n: number | undefined;
  for (const [name, col] of Object.entries(data as Record<string, unknown>)) {
    if (!Array.isArray(col)) invalid(`column "${name}" must be an array`, [{ path: name, message: 'Expected array' }]);
    if (n === undefined) n = col.length;
    else if (col.length !== n) {
      invalid(`column "${name}" has ${col.length} rows, expected ${n}`, [
        { path: name, message: `Expected ${n} rows, got ${col.length}` },
      ]);
    }
  }
  return n ?? 0;
}

/** Returns column `name` of `data` or throws `INVALID_INPUT` naming it. */
export function requireColumn(data: Frame, name: string): FrameCell[] {
  const col = data[name];
  if (!Array.isArray(col)) invalid(`missing column "${name}"`, [{ path: name, message: 'Required column is missing' }]);
  return col;
}

/** 'number' when every present cell is a finite number, 'string' when every one is a string, 'empty' when none. */
export function columnType(name: string, col: readonly FrameCell[]): 'number' | 'string' | 'empty' {
  let t: 'number' | 'string' | 'empty' = 'empty';
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (isMissing(v)) continue;
    const vt = typeof v;
    if (vt === 'number') {
      if (!Number.isFinite(v))
        invalid(`column "${name}" row ${i} is not finite`, [
          { path: `${name}.${i}`, message: 'Expected a finite number' },
        ]);
    } else if (vt !== 'string') {
      invalid(`column "${name}" row ${i} is neither number, string nor null`, [
        { path: `${name}.${i}`, message: `Unexpected ${vt}` },
      ]);
    }
    const ct = vt as 'number' | 'string';
    if (t === 'empty') t = ct;
    else if (t !== ct) {
      invalid(`column "${name}" mixes numbers and strings (row ${i})`, [
        { path: `${name}.${i}`, message: `Expected ${t}, got ${ct}` },
      ]);
    }
  }
  return t;
}

/** Parses a transformer state with its zod schema, turning failures into `INVALID_INPUT` with field paths. */
export function parseState<S extends z.ZodType>(schema: S, json: unknown): z.infer<S> {
  const r = schema.safeParse(json);
  if (!r.success) {
    throw invalidInput('invalid transformer state', zodIssues(r.error));
  }
  return r.data;
}

/** Compares strings by Unicode code point, as Python's `sorted` does (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order equals code point order except that surrogates (astral chars) must sort after U+E000..U+FFFF.
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Threshold given as a count (≥ 1) or a share of `n` (< 1), resolved to an absolute count as sklearn does. */
export function absoluteCount(v: number, n: number): number {
  return v >= 1 ? v : v * n;
}
