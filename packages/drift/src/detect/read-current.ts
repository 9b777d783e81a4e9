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

/** Whether a string (already trimmed) is a decimal number as text, as numerical columns read it. */
export function isNumberText(s: string): boolean {
  return NUMBER_TEXT.test(s);
}

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

/** How {@link readNumber} / {@link readText} read their last value. */
export const READ = { native: 0, missing: 1, converted: 2, invalid: 3 } as const;
let lastRead: number = READ.native;

/** How the last {@link readNumber} or {@link readText} call read its value: one of {@link READ}. */
export function lastReadCode(): number {
  return lastRead;
}

/**
 * Reads one value of a numerical or datetime column: the number (epoch ms for datetime), or NaN when missing or
 * unreadable; {@link lastReadCode} then tells which. Allocation-free, for the per-value loops.
 */
export function readNumber(type: 'numerical' | 'datetime', v: unknown): number {
  lastRead = READ.native;
  let x: number;
  if (v === null || v === undefined) {
    lastRead = READ.missing;
    return Number.NaN;
  }
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') x = Number(v);
  else if (typeof v === 'string') {
    const t = v.trim();
    if (MISSING_MARKERS.has(t)) {
      lastRead = READ.missing;
      return Number.NaN;
    }
    if (type === 'numerical') {
      if (!NUMBER_TEXT.test(t)) {
        lastRead = READ.invalid;
        return Number.NaN;
      }
      lastRead = READ.converted;
      x = Number(t);
    } else {
      x = Date.parse(t);
      if (Number.isNaN(x)) {
        lastRead = READ.invalid;
        return Number.NaN;
      }
    }
  } else if (v instanceof Date && type === 'datetime') x = v.getTime();
  else if (typeof v === 'boolean' && type === 'numerical') {
    lastRead = READ.converted;
    x = v ? 1 : 0;
  } else {
    lastRead = READ.invalid;
    return Number.NaN;
  }
  if (!Number.isFinite(x)) {
    lastRead = READ.missing;
    return Number.NaN;
  }
  return x;
}

/**
 * Reads one value of a categorical, boolean or text column as its label (`"true"`/`"false"` for booleans), or null
 * when missing or unreadable; {@link lastReadCode} then tells which.
 */
export function readText(type: 'categorical' | 'boolean' | 'text', v: unknown): string | null {
  lastRead = READ.native;
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
    lastRead = READ.missing;
    return null;
  }
  if (type === 'boolean') {
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') {
      const t = v.trim();
      if (MISSING_MARKERS.has(t)) {
        lastRead = READ.missing;
        return null;
      }
      const lower = t.toLowerCase();
      if (lower === 'true' || lower === 'false') {
        lastRead = READ.converted;
        return lower;
      }
    } else if (v === 0 || v === 1) {
      lastRead = READ.converted;
      return v === 1 ? 'true' : 'false';
    }
    lastRead = READ.invalid;
    return null;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) {
      lastRead = READ.missing;
      return null;
    }
    return v.toISOString();
  }
  lastRead = READ.invalid;
  return null;
}

/** An empty {@link CurrentCensus}. */
export function emptyCensus(): CurrentCensus {
  return { converted: new Map(), invalid: 0, invalidKinds: new Set(), examples: [] };
}

/** Counts a value in a census by how it was read ({@link READ}); native and missing values are not counted. */
export function countRead(census: CurrentCensus, code: number, v: unknown): void {
  if (code === READ.converted) {
    const k = kindOf(v);
    census.converted.set(k, (census.converted.get(k) ?? 0) + 1);
  } else if (code === READ.invalid) {
    census.invalid++;
    census.invalidKinds.add(kindOf(v));
    if (census.examples.length < 3) census.examples.push(exampleOf(v));
  }
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
  const census = emptyCensus();
  if (ArrayBuffer.isView(values) && type !== 'boolean') {
    // Typed arrays hold numbers only: read exactly as the reference (epoch ms for datetime, labels for categories).
    return { column: typeColumn(name, type, role, values), census };
  }
  const rows = values.length;
  if (type === 'numerical' || type === 'datetime') {
    const out = new Float64Array(rows);
    let n = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        // the common case, inline: a number is native (NaN/±∞ missing)
        if (Number.isFinite(v)) out[n++] = v;
        continue;
      }
      const x = readNumber(type, v);
      if (lastRead === READ.native || lastRead === READ.converted) out[n++] = x;
      countRead(census, lastRead, v);
    }
    return {
      column: { name, type, role, rows, missing: rows - n, numbers: n === rows ? out : out.slice(0, n) },
      census,
    };
  }
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    const t = readText(type, v);
    if (t !== null) out.push(t);
    countRead(census, lastRead, v);
  }
  return { column: { name, type, role, rows, missing: rows - out.length, strings: out }, census };
}
