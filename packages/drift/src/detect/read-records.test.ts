import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { type RecordsData, toRawColumns } from '../profile/input.js';
import { detectDrift } from './detect-drift.js';
import { recordsToRawColumns } from './read-records.js';

/** The columns the records path used to read: toRawColumns, as plain arrays. */
function columnsOf(records: RecordsData): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const c of toRawColumns(records).columns) out[c.name] = Array.from(c.values);
  return out;
}

class Row {
  constructor(
    public x: number,
    public y: string,
  ) {}
  get ignored() {
    return 1;
  }
}

const n = 400;
const xs = normalSample(n, 0, 1, 1);
const ys = normalSample(n, 0.4, 1, 2);
const wide = (values: number[], shift: number) =>
  values.map((v, i) => {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < 300; c++) row[`s${c}`] = v + c * 0.01 + (c % 3 === 0 ? shift : 0);
    if (i % 50 === 0) row.s7 = null;
    if (i % 70 === 0) row.s8 = undefined;
    if (i % 90 === 0) row.s9 = Number.NaN;
    return row;
  });
const messy = (values: number[]) =>
  values.map((v, i) => {
    const row: Record<string, unknown> = { num: v, cat: i % 3 === 0 ? 'a' : 'b' };
    if (i % 5 !== 0) row.sometimes = v * 2; // absent in some records
    if (i === 17) row.late = 'appears late'; // a column first seen in a later record
    row.mixed = i < 100 ? v : String(v); // numbers first, then numeric strings (converted)
    row.flag = i % 4 === 0 ? null : i % 2 === 0;
    row.when = new Date(1_700_000_000_000 + i * 3_600_000);
    row.big = BigInt(i);
    row.inf = i % 9 === 0 ? Number.POSITIVE_INFINITY : v;
    return row;
  });

describe('recordsToRawColumns', () => {
  it('reads the same columns as toRawColumns (missing keys, null, NaN and late columns alike)', () => {
    for (const records of [wide(xs, 0), messy(xs)]) {
      const fast = recordsToRawColumns(records);
      const slow = toRawColumns(records);
      expect(fast.rows).toBe(slow.rows);
      expect(fast.columns.map((c) => c.name)).toEqual(slow.columns.map((c) => c.name));
      for (let c = 0; c < slow.columns.length; c++) {
        const f = Array.from(fast.columns[c]!.values);
        const s = Array.from(slow.columns[c]!.values);
        // null, undefined and NaN are all "missing" to every reader
        const missing = (v: unknown) => v === null || v === undefined || Number.isNaN(v);
        expect(f.map((v) => (missing(v) ? 'missing' : v))).toEqual(s.map((v) => (missing(v) ? 'missing' : v)));
      }
    }
  });

  it('gives detectDrift the same report as the columns toRawColumns reads', () => {
    for (const [ref, cur] of [
      [wide(xs, 0), wide(ys, 0.5)],
      [messy(xs), messy(ys)],
    ] as const) {
      expect(detectDrift(ref, cur)).toEqual(detectDrift(columnsOf(ref), columnsOf(cur)));
      expect(detectDrift(columnsOf(ref), cur)).toEqual(detectDrift(columnsOf(ref), columnsOf(cur)));
    }
  });

  it('reads class instances and null-prototype records by their own keys only', () => {
    const proto = { inherited: 5 };
    const records = [
      new Row(1, 'a') as unknown as Record<string, unknown>,
      Object.assign(Object.create(proto), { x: 2, y: 'b' }),
      Object.assign(Object.create(null), { x: 3, y: 'c', z: 1 }),
    ];
    const fast = recordsToRawColumns(records);
    expect(fast.columns.map((c) => c.name)).toEqual(['x', 'y', 'z']);
    expect(Array.from(fast.columns[0]!.values)).toEqual([1, 2, 3]);
    expect(Array.from(fast.columns[1]!.values)).toEqual(['a', 'b', 'c']);
  });

  it('refuses a record that is not an object', () => {
    expect(() => recordsToRawColumns([{ a: 1 }, 5 as unknown as Record<string, unknown>])).toThrow(
      /every record must be an object/,
    );
  });
});
