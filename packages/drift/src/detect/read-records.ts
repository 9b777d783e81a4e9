import { notARecord, type RawColumn, type RecordsData } from '../profile/input.js';

interface Columns {
  rows: number;
  names: string[];
  index: Map<string, number>;
  /** Per column: its numbers while every value so far was a number, null or undefined (NaN for those); else null. */
  numbers: (Float64Array | null)[];
  /** Per column: its values once it met anything else. */
  values: (unknown[] | null)[];
}

/** Column of `key`, added (missing in every earlier row) on first sight; `guess` is where it usually is. */
function columnOf(cols: Columns, key: string, guess: number): number {
  if (guess < cols.names.length && cols.names[guess] === key) return guess;
  const known = cols.index.get(key);
  if (known !== undefined) return known;
  const c = cols.names.length;
  cols.names.push(key);
  cols.index.set(key, c);
  cols.numbers.push(new Float64Array(cols.rows).fill(Number.NaN));
  cols.values.push(null);
  return c;
}

function store(cols: Columns, c: number, r: number, v: unknown): void {
  const nums = cols.numbers[c];
  if (nums) {
    if (typeof v === 'number') {
      nums[r] = v;
      return;
    }
    if (v === null || v === undefined) return;
    // The first value that is not a number: the column becomes a plain array. Earlier missing rows (NaN, null or
    // undefined: the readers treat them alike) become undefined.
    const plain = new Array<unknown>(cols.rows);
    for (let i = 0; i < r; i++) {
      const x = nums[i] as number;
      plain[i] = Number.isNaN(x) ? undefined : x;
    }
    cols.numbers[c] = null;
    cols.values[c] = plain;
  }
  (cols.values[c] as unknown[])[r] = v;
}

/**
 * Splits records into raw columns as `toRawColumns` does (columns in order of first appearance, a key a record lacks
 * reads as missing), in one row-major pass: each record's keys are enumerated once and its values read in that
 * order, which keeps wide records (hundreds of keys, which V8 stores as hash tables) in cache. A column holding only
 * numbers, null and undefined comes back as a Float64Array with NaN for null/undefined: type inference and the
 * readers treat NaN, null and undefined alike as missing, so only the speed changes. A column gets a plain array as
 * soon as it meets any other value.
 */
export function recordsToRawColumns(records: RecordsData): { rows: number; columns: RawColumn[] } {
  const rows = records.length;
  // for…in also visits inherited enumerable keys: only plain objects take it, and only while nobody has added
  // enumerable keys to Object.prototype.
  let forIn = true;
  for (const _ in {}) forIn = false;
  const cols: Columns = { rows, names: [], index: new Map(), numbers: [], values: [] };
  for (let r = 0; r < rows; r++) {
    const row = records[r] as Record<string, unknown>;
    if (row === null || typeof row !== 'object') throw notARecord(row, r);
    const proto = Object.getPrototypeOf(row);
    let next = 0;
    if (forIn && (proto === Object.prototype || proto === null)) {
      // own enumerable keys, in Object.keys order
      for (const key in row) {
        const c = columnOf(cols, key, next);
        store(cols, c, r, row[key]);
        next = c + 1;
      }
    } else {
      for (const key of Object.keys(row)) {
        const c = columnOf(cols, key, next);
        store(cols, c, r, row[key]);
        next = c + 1;
      }
    }
  }
  const columns = cols.names.map(
    (name, c): RawColumn => ({ name, values: (cols.numbers[c] ?? cols.values[c]) as ArrayLike<unknown> }),
  );
  return { rows, columns };
}
