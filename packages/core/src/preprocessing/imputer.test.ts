import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { type ImputeStrategy, imputer, loadImputer } from './imputer.js';
import type { Frame } from './types.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/preprocessing.json', import.meta.url), 'utf8'));
const columns: string[] = fx.numeric.columns;
const frame = (cols: (number | null)[][]): Frame => Object.fromEntries(columns.map((c, j) => [c, cols[j]!]));
const train = frame(fx.numeric.train);
const test = frame(fx.numeric.test);

function expectClose(actual: number, expected: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1e-12, 1e-9 * Math.abs(expected)));
}

describe('imputer (sklearn SimpleImputer parity)', () => {
  it.each(
    fx.imputer as { strategy: ImputeStrategy; fillValue: number | null; statistics: number[]; test: number[][] }[],
  )('strategy $strategy', (c) => {
    const f = imputer({ strategy: c.strategy, ...(c.fillValue === null ? {} : { fillValue: c.fillValue }) }).fit(train);
    columns.forEach((name, j) => {
      expectClose(f.fills[name] as number, c.statistics[j]!);
    });
    const out = f.transform(test);
    columns.forEach((name, j) => {
      out[name]!.forEach((v, i) => {
        expectClose(v as number, c.test[j]![i]!);
      });
    });
  });

  it('imputes string columns with the most frequent value or "missing_value"', () => {
    const data = { city: fx.stringImputer.values };
    expect(imputer({ strategy: 'most_frequent' }).fit(data).fills.city).toBe(fx.stringImputer.most_frequent[0]);
    const c = imputer({ strategy: 'constant' }).fit(data);
    expect(c.fills.city).toBe(fx.stringImputer.constant[0]);
    expect(c.transform({ city: [null, 'x'] }).city).toEqual(['missing_value', 'x']);
  });

  it('breaks most-frequent ties towards the smallest value', () => {
    expect(imputer({ strategy: 'most_frequent' }).fit({ a: [3, 1, 3, 1, null] }).fills.a).toBe(1);
    expect(imputer({ strategy: 'most_frequent' }).fit({ s: ['b', 'a', 'b', 'a'] }).fills.s).toBe('a');
  });

  it('treats NaN as missing, drops all-missing columns like sklearn and leaves other columns alone', () => {
    const f = imputer({ strategy: 'median', columns: ['x', 'empty'] }).fit({
      x: [1, Number.NaN, 4, 10],
      empty: [null, null, null, null],
      label: ['a', 'b', 'c', 'd'],
    });
    expect(f.toJSON().dropped).toEqual(['empty']);
    expect(f.transform({ x: [Number.NaN, 2], empty: [1, 2], label: [null, 'z'] })).toEqual({
      x: [4, 2],
      label: [null, 'z'],
    });
  });

  it('applies per-column strategies', () => {
    const f = imputer({ perColumn: { a: { strategy: 'constant', fillValue: -1 } }, columns: ['b'] }).fit({
      a: [1, null],
      b: [2, 4],
    });
    expect(f.transform({ a: [null, 5], b: [null, 1] })).toEqual({ a: [-1, 5], b: [3, 1] });
  });

  it('refuses a mean of strings and mixed columns with INVALID_INPUT naming the column', () => {
    expect(() => imputer().fit({ s: ['a', 'b'] })).toThrow(/"s" holds strings/);
    try {
      imputer().fit({ m: [1, 'x'] });
      expect.unreachable();
    } catch (e) {
      expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
      expect((e as { details: { path: string }[] }).details[0]!.path).toBe('m.1');
    }
  });

  it('round-trips through JSON and refuses a tampered state', () => {
    const f = imputer({ strategy: 'mean' }).fit(train);
    const g = loadImputer(JSON.parse(JSON.stringify(f.toJSON())));
    expect(g.transform(test)).toEqual(f.transform(test));
    const bad = { ...f.toJSON(), columns: [{ name: 'x', strategy: 'mode', type: 'number', fill: 1 }] };
    expect(() => loadImputer(bad)).toThrow(/columns\[0\]\.strategy/);
  });
});
