import { type ColumnRole, type ColumnType, type TypedColumn, typeColumn } from '../profile/input.js';

/**
 * Strings read as a missing value in numerical, boolean and datetime columns: pandas' default `na_values` that
 * JSON and CSV feeds use (the CLI's CSV reader uses the same set). Categorical and text columns keep them as values.
 */
export const MISSING_MARKERS: ReadonlySet<string> = new Set([
  '',
  'NA',
  'N/A',
  'n/a',
  '<NA>',
  '#N/A',
  'NaN',
  'nan',
  '-NaN',
  '-nan',
  'null',
  'NULL',
  'None',
]);

/** A decimal number as text: what `String(x)` writes for a finite number, CSV exports and PostgreSQL `numeric`. */
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** What reading a current column against its reference type found, besides the values. */
export interface CurrentCensus {
  /** Values of another JavaScript kind converted to the reference type, counted by that kind (`string`, …). */
  converted: Map<string, number>;
  /** Present values that cannot be read as the reference type (dropped, and the column is not tested). */
  invalid: number;
  /** JavaScript kinds of the invalid values (`string`, `object`, `array`, `date`, …). */
  invalidKinds: Set<string>;
  /** Up to three invalid values, as text. */
  examples: string[];
}

/** `typeof`, with `date` and `array` told apart from other objects. */
export function kindOf(v: unknown): string {
  if (v instanceof Date) return 'date';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function exampleOf(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Reads a current column as the reference column's type, counting what was converted and what could not be read.
 *
 * - numerical: numbers and bigints as they are; decimal strings (`"41.5"`, `"1e3"`) and booleans are converted and
 *   counted; the {@link MISSING_MARKERS} are missing; any other string or object is invalid.
 * - boolean: booleans as they are; `"true"`/`"false"` (any case) and 0/1 are converted and counted; other values
 *   are invalid.
 * - datetime: `Date`s, epoch-millisecond numbers and parseable date strings; anything else is invalid.
 * - categorical, text: strings, numbers, booleans, bigints and dates as text (as the reference was read); objects
 *   and arrays are invalid.
 *
 * null, undefined, NaN and ±∞ are missing everywhere, as in the reference.
 */
export function readCurrentColumn(
  name: string,
  type: ColumnType,
  role: ColumnRole,
  values: ArrayLike<unknown>,
): { column: TypedColumn; census: CurrentCensus } {
  const census: CurrentCensus = { converted: new Map(), invalid: 0, invalidKinds: new Set(), examples: [] };
  const isTyped = ArrayBuffer.isView(values);
  if (isTyped && type !== 'boolean') {
    // Typed arrays hold numbers only: read exactly as the reference (epoch ms for datetime, labels for categories).
    return { column: typeColumn(name, type, role, values), census };
  }
  const rows = values.length;
  const invalid = (v: unknown) => {
    census.invalid++;
    census.invalidKinds.add(kindOf(v));
    if (census.examples.length < 3) census.examples.push(exampleOf(v));
  };
  const converted = (v: unknown) => {
    const k = kindOf(v);
    census.converted.set(k, (census.converted.get(k) ?? 0) + 1);
  };

  if (type === 'numerical' || type === 'datetime') {
    const out = new Float64Array(rows);
    let n = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      let x: number;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'bigint') x = Number(v);
      else if (typeof v === 'string') {
        const t = v.trim();
        if (MISSING_MARKERS.has(t)) continue;
        if (type === 'numerical') {
          if (!NUMBER_TEXT.test(t)) {
            invalid(v);
            continue;
          }
          converted(v);
          x = Number(t);
        } else {
          x = Date.parse(t);
          if (Number.isNaN(x)) {
            invalid(v);
            continue;
          }
        }
      } else if (v instanceof Date && type === 'datetime') x = v.getTime();
      else if (typeof v === 'boolean' && type === 'numerical') {
        converted(v);
        x = v ? 1 : 0;
      } else {
        invalid(v);
        continue;
      }
      if (Number.isFinite(x)) out[n++] = x;
    }
    return {
      column: { name, type, role, rows, missing: rows - n, numbers: n === rows ? out : out.slice(0, n) },
      census,
    };
  }

  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) continue;
    if (type === 'boolean') {
      if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
      else if (typeof v === 'string') {
        const t = v.trim();
        if (MISSING_MARKERS.has(t)) continue;
        const lower = t.toLowerCase();
        if (lower === 'true' || lower === 'false') {
          converted(v);
          out.push(lower);
        } else invalid(v);
      } else if (v === 0 || v === 1) {
        converted(v);
        out.push(v === 1 ? 'true' : 'false');
      } else invalid(v);
    } else if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(String(v));
    else if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) continue;
      out.push(v.toISOString());
    } else invalid(v);
  }
  return { column: { name, type, role, rows, missing: rows - out.length, strings: out }, census };
}
