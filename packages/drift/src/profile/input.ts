import { DriftError } from '../errors.js';
import type { SketchView } from '../sketch/kll.js';
import { tokenize } from './tokenize.js';

/** Column types understood by profiles, quality reports and drift detection. */
export const COLUMN_TYPES = ['numerical', 'categorical', 'text', 'boolean', 'datetime'] as const;
/** One of {@link COLUMN_TYPES}. */
export type ColumnType = (typeof COLUMN_TYPES)[number];
/** What a column is for: an input feature, the ground-truth target, or the model's prediction. */
export type ColumnRole = 'feature' | 'target' | 'prediction';

/** Column-oriented data: one array (or typed array) of values per column, all of the same length. */
export type ColumnarData = Record<string, ArrayLike<unknown>>;
/** Row-oriented data: one object per row. */
export type RecordsData = ReadonlyArray<Record<string, unknown>>;
/** Either data form accepted by profiles, quality reports and drift detection. */
export type DataInput = ColumnarData | RecordsData;

/** Overrides inferred column types and names the target and prediction columns (Evidently's column mapping). */
export interface ColumnMapping {
  /** Columns to treat as numerical. */
  numerical?: string[];
  /** Columns to treat as categorical. */
  categorical?: string[];
  /** Columns to treat as free text. */
  text?: string[];
  /** Columns to treat as boolean. */
  boolean?: string[];
  /** Columns to treat as timestamps (profiled, not tested for drift). */
  datetime?: string[];
  /** The ground-truth column; its type is inferred unless listed above. */
  target?: string;
  /** The prediction column; its type is inferred unless listed above. */
  prediction?: string;
  /** Columns to leave out entirely (ids, free-form metadata). */
  exclude?: string[];
}

/** Raw values of one column before typing. */
export interface RawColumn {
  name: string;
  values: ArrayLike<unknown>;
}

/** A column after typing: missing values counted and removed, the rest converted to numbers or strings. */
export interface TypedColumn {
  name: string;
  type: ColumnType;
  role: ColumnRole;
  /** Rows in the column, missing included. */
  rows: number;
  /** Rows that were null, undefined, NaN, ±Infinity or could not be converted to the column's type. */
  missing: number;
  /** Non-missing values of numerical and datetime columns (epoch milliseconds). */
  numbers?: Float64Array;
  /** Non-missing values of categorical, boolean and text columns. */
  strings?: string[];
  /** `numbers` sorted ascending, filled on first use by the drift tests (a prepared reference keeps it). */
  sorted?: Float64Array;
  /** Population standard deviation of `numbers`, filled on first use by normalised Wasserstein. */
  std?: number;
  /**
   * A profile reference's quantile sketch (sorted items and cumulative weights: plain typed arrays) when it stands
   * for more values than `numbers` (the reservoir sample) holds; KS, Wasserstein and PSI then use it.
   */
  sketch?: SketchView;
}

/** Builds a {@link DriftError} with an `INVALID_INPUT` code. */
export function invalidInput(message: string): DriftError {
  return new DriftError('INVALID_INPUT', message);
}

/**
 * The error for records that are not objects, e.g. `detectDrift([1, 2, 3], [4, 5, 6])`: it says which entry point
 * compares two plain samples.
 */
export function notARecord(row: unknown, index: number): DriftError {
  const what = row === null ? 'null' : Array.isArray(row) ? 'an array' : `a ${typeof row}`;
  return invalidInput(
    `every record must be an object, but record ${index} is ${what}. Data is columns ({ age: [31, 45] }) or records ` +
      `([{ age: 31 }, { age: 45 }]). To compare two plain samples, call a test directly: ksTest(reference, current) ` +
      `or psi(reference, current) for numbers, chiSquareTest(reference, current) for labels`,
  );
}

/** True for null, undefined, NaN and ±Infinity (Evidently turns infinities into NaN before testing). */
export function isMissing(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value));
}

/** Splits the accepted data forms into named raw columns; rows of records may have different keys. */
export function toRawColumns(data: DataInput): { rows: number; columns: RawColumn[] } {
  if (Array.isArray(data)) {
    const records = data as RecordsData;
    const names: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < records.length; i++) {
      const row = records[i];
      if (row === null || typeof row !== 'object') throw notARecord(row, i);
      for (const key of Object.keys(row)) {
        if (!seen.has(key)) {
          seen.add(key);
          names.push(key);
        }
      }
    }
    const columns = names.map((name) => {
      const values = new Array<unknown>(records.length);
      for (let i = 0; i < records.length; i++) values[i] = (records[i] as Record<string, unknown>)[name];
      return { name, values };
    });
    return { rows: records.length, columns };
  }
  if (data === null || typeof data !== 'object') throw invalidInput('data must be records or an object of columns');
  const columns: RawColumn[] = [];
  let rows = -1;
  for (const [name, values] of Object.entries(data as ColumnarData)) {
    if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
      throw invalidInput(`column "${name}" is not an array`);
    }
    if (rows === -1) rows = values.length;
    else if (values.length !== rows) {
      throw invalidInput(`column "${name}" has ${values.length} values, expected ${rows} like the first column`);
    }
    columns.push({ name, values });
  }
  return { rows: Math.max(rows, 0), columns };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Infers a column's type from its values: booleans → boolean, numbers → numerical, `Date`s or ISO-8601 strings →
 * datetime, strings → text when they read like prose (mean ≥ 3 tokens and at least half distinct, or mean ≥ 8
 * tokens), otherwise categorical. Mixed columns are categorical; all-missing columns numerical.
 */
export function inferColumnType(values: ArrayLike<unknown>): ColumnType {
  if (ArrayBuffer.isView(values)) return 'numerical'; // typed arrays hold numbers only
  let numbers = 0;
  let strings = 0;
  let booleans = 0;
  let dates = 0;
  let other = 0;
  let isoStrings = 0;
  let tokens = 0;
  const distinct = new Set<string>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    if (typeof v === 'number' || typeof v === 'bigint') numbers++;
    else if (typeof v === 'boolean') booleans++;
    else if (v instanceof Date) dates++;
    else if (typeof v === 'string') {
      strings++;
      if (ISO_DATE.test(v)) isoStrings++;
      if (distinct.size <= strings) distinct.add(v);
      tokens += tokenize(v).length;
    } else other++;
  }
  const present = numbers + strings + booleans + dates + other;
  if (present === 0) return 'numerical';
  if (booleans === present) return 'boolean';
  if (numbers === present) return 'numerical';
  if (dates === present || (isoStrings === present && strings === present)) return 'datetime';
  if (strings === present) {
    const meanTokens = tokens / strings;
    const distinctRatio = distinct.size / strings;
    if (meanTokens >= 8 || (meanTokens >= 3 && distinctRatio >= 0.5)) return 'text';
  }
  return 'categorical';
}

/** Decides each column's type and role from the mapping, inferring what the mapping leaves out. */
export function resolveColumns(
  columns: RawColumn[],
  mapping: ColumnMapping = {},
): { name: string; type: ColumnType; role: ColumnRole; values: ArrayLike<unknown> }[] {
  const explicit = new Map<string, ColumnType>();
  for (const type of COLUMN_TYPES) {
    for (const name of mapping[type] ?? []) {
      const prior = explicit.get(name);
      if (prior !== undefined && prior !== type) {
        throw invalidInput(`column "${name}" is mapped as both ${prior} and ${type}`);
      }
      explicit.set(name, type);
    }
  }
  const names = new Set(columns.map((c) => c.name));
  for (const name of [...explicit.keys(), mapping.target, mapping.prediction]) {
    if (name !== undefined && !names.has(name)) throw invalidInput(`mapped column "${name}" is not in the data`);
  }
  const excluded = new Set(mapping.exclude ?? []);
  return columns
    .filter((c) => !excluded.has(c.name))
    .map((c) => ({
      name: c.name,
      type: explicit.get(c.name) ?? inferColumnType(c.values),
      role: c.name === mapping.target ? 'target' : c.name === mapping.prediction ? 'prediction' : 'feature',
      values: c.values,
    }));
}

/** Converts a raw value to a number (booleans → 0/1, numeric strings parsed, dates → epoch ms); NaN when impossible. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/** Converts a Date, epoch-ms number or date string to epoch milliseconds; NaN when impossible. */
export function toTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return Number.NaN;
}

/** Converts raw values to the column's type, dropping and counting missing or unconvertible values. */
export function typeColumn(name: string, type: ColumnType, role: ColumnRole, values: ArrayLike<unknown>): TypedColumn {
  const rows = values.length;
  if (type === 'numerical' && values instanceof Float64Array) {
    // Fast path: a NaN-free Float64Array is used as is (never mutated; sorting works on a copy).
    let finite = 0;
    for (let i = 0; i < rows; i++) if (Number.isFinite(values[i] as number)) finite++;
    if (finite === rows) return { name, type, role, rows, missing: 0, numbers: values };
  }
  if (type === 'numerical' || type === 'datetime') {
    const convert = type === 'numerical' ? toNumber : toTime;
    const out = new Float64Array(rows);
    let n = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const x = convert(v);
      if (Number.isFinite(x)) out[n++] = x;
    }
    return { name, type, role, rows, missing: rows - n, numbers: n === rows ? out : out.slice(0, n) };
  }
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    out.push(v instanceof Date ? v.toISOString() : String(v));
  }
  return { name, type, role, rows, missing: rows - out.length, strings: out };
}

/** Splits data into typed columns according to the mapping. */
export function typeData(data: DataInput, mapping?: ColumnMapping): { rows: number; columns: TypedColumn[] } {
  const { rows, columns } = toRawColumns(data);
  return {
    rows,
    columns: resolveColumns(columns, mapping).map((c) => typeColumn(c.name, c.type, c.role, c.values)),
  };
}
