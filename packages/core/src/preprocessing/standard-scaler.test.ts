import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadStandardScaler, standardScaler } from './standard-scaler.js';
import type { Frame } from './types.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/preprocessing.json', import.meta.url), 'utf8'));
const columns: string[] = fx.numeric.columns;
const frame = (cols: (number | null)[][]): Frame => Object.fromEntries(columns.map((c, j) => [c, cols[j]!]));

function expectClose(actual: number, expected: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1e-12, 1e-9 * Math.abs(expected)));
}

describe('standardScaler (sklearn StandardScaler parity)', () => {
  it('learns mean and population scale, ignoring missing values; constant columns get scale 1', () => {
    const f = standardScaler().fit(frame(fx.numeric.train));
    const state = f.toJSON();
    state.columns.forEach((c, j) => {
      expectClose(c.mean, fx.scaler.mean[j]);
      expectClose(c.scale, fx.scaler.scale[j]);
    });
    expect(state.columns.find((c) => c.name === 'const')!.scale).toBe(1);
    expect(state.columns.find((c) => c.name === 'tiny')!.scale).toBe(1);
  });

  it('transforms new data with the training statistics; missing stays missing', () => {
    const f = standardScaler().fit(frame(fx.numeric.train));
    const out = f.transform(frame(fx.numeric.test));
    columns.forEach((name, j) => {
      out[name]!.forEach((v, i) => {
        const e = fx.scaler.test[j][i];
        if (e === null) expect(v).toBeNull();
        else expectClose(v as number, e);
      });
    });
  });

  it('scales only numeric columns by default and honours withMean / withStd', () => {
    const data = { x: [1, 2, 3, 4], s: ['a', 'b', 'c', 'd'] };
    expect(standardScaler().fit(data).transform(data).s).toEqual(data.s);
    expect(
      standardScaler({ withMean: false })
        .fit(data)
        .transform({ x: [2], s: ['a'] }).x![0],
    ).toBeCloseTo(2 / Math.sqrt(1.25), 14);
    expect(
      standardScaler({ withStd: false })
        .fit(data)
        .transform({ x: [2], s: ['a'] }).x,
    ).toEqual([-0.5]);
  });

  it('round-trips through JSON bit-identically', () => {
    const f = standardScaler().fit(frame(fx.numeric.train));
    const g = loadStandardScaler(JSON.parse(JSON.stringify(f)));
    expect(g.transform(frame(fx.numeric.test))).toEqual(f.transform(frame(fx.numeric.test)));
  });
});
