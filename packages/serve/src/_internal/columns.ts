import type { Columns, ColumnValues } from '@mlops/core';

type TypedCtor = new (n: number) => ArrayLike<unknown> & { set(a: ArrayLike<unknown>, offset: number): void };

/** Concatenates batches with the same column names; typed arrays of one kind stay typed. */
export function concatColumns(parts: readonly Columns[]): Columns {
  if (parts.length === 1) return parts[0]!;
  const out: Columns = {};
  const names = Object.keys(parts[0] ?? {});
  for (const name of names) {
    const cols = parts.map((p) => p[name]!);
    const first = cols[0]!;
    const ctor = first.constructor as unknown as TypedCtor;
    if (ArrayBuffer.isView(first) && cols.every((c) => c.constructor === first.constructor)) {
      const total = cols.reduce((n, c) => n + c.length, 0);
      const t = new ctor(total);
      let off = 0;
      for (const c of cols) {
        t.set(c as ArrayLike<unknown>, off);
        off += c.length;
      }
      out[name] = t as unknown as ColumnValues;
    } else {
      const arr: unknown[] = [];
      for (const c of cols) for (let i = 0; i < c.length; i++) arr.push((c as ArrayLike<unknown>)[i]);
      out[name] = arr;
    }
  }
  return out;
}

/** Rows `[start, end)` of a batch (typed arrays are copied, so a slice outlives its source). */
export function sliceColumns(columns: Columns, start: number, end: number): Columns {
  const out: Columns = {};
  for (const [name, col] of Object.entries(columns)) {
    out[name] = (col as { slice(s: number, e: number): ColumnValues }).slice(start, end);
  }
  return out;
}

/** Number of rows, or throws a `RangeError` naming the first mismatching column. */
export function rowCount(columns: Columns): number {
  let n: number | undefined;
  for (const [name, col] of Object.entries(columns)) {
    if (n === undefined) n = col.length;
    else if (col.length !== n) throw new RangeError(`column "${name}" has ${col.length} rows, expected ${n}`);
  }
  return n ?? 0;
}

function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  if (Array.isArray(v)) return v.map(plainValue);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView))
    return Array.from(v as unknown as ArrayLike<unknown>, plainValue);
  return v;
}

/**
 * Columns given in code (typed arrays, bigints, `NaN` for missing) as the JSON-shaped columns the signature validator
 * takes: typed arrays become arrays, bigints decimal strings, `NaN` null. Anything else passes through untouched, so
 * the validator reports it with a field path.
 */
export function toPlainInputs(inputs: unknown): unknown {
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) return inputs;
  const out: Record<string, unknown> = {};
  for (const [name, col] of Object.entries(inputs)) {
    out[name] = Array.isArray(col) || (ArrayBuffer.isView(col) && !(col instanceof DataView)) ? plainValue(col) : col;
  }
  return out;
}
