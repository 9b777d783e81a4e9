import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOneHotEncoder, type OneHotEncoderOptions, oneHotEncoder } from './one-hot-encoder.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/preprocessing.json', import.meta.url), 'utf8'));

describe('oneHotEncoder (sklearn OneHotEncoder parity)', () => {
  it.each(fx.oneHot.cases as { name: string; options: OneHotEncoderOptions; columns: string[]; test: number[][] }[])(
    '$name',
    (c) => {
      const f = oneHotEncoder(c.options).fit({ colour: fx.oneHot.train });
      expect(f.outputColumns).toEqual(c.columns);
      const out = f.transform({ colour: fx.oneHot.test });
      expect(Object.keys(out)).toEqual(c.columns);
      const rows = fx.oneHot.test.map((_: string, i: number) => c.columns.map((n: string) => out[n]![i]));
      expect(rows).toEqual(c.test);
    },
  );

  it('refuses unknown categories by default, with the column and row', () => {
    const f = oneHotEncoder().fit({ c: ['a', 'b'] });
    expect(() => f.transform({ c: ['a', 'z'] })).toThrow(/unknown category "z" in column "c" \(row 1\)/);
  });

  it('encodes in place, keeps other columns, and treats missing as a category sorted last', () => {
    const f = oneHotEncoder().fit({ x: [1, 2], c: ['b', null], y: [3, 4] });
    expect(f.transform({ x: [5], c: [null], y: [6] })).toEqual({ x: [5], c_b: [0], c_null: [1], y: [6] });
  });

  it('encodes numeric categories when asked, sorted numerically', () => {
    const f = oneHotEncoder({ columns: ['n'] }).fit({ n: [10, 9, 10] });
    expect(f.outputColumns).toEqual(['n_9', 'n_10']);
  });

  it('round-trips through JSON', () => {
    const f = oneHotEncoder({ handleUnknown: 'infrequent_if_exist', minFrequency: 5 }).fit({ colour: fx.oneHot.train });
    const g = loadOneHotEncoder(JSON.parse(JSON.stringify(f)));
    expect(g.transform({ colour: fx.oneHot.test })).toEqual(f.transform({ colour: fx.oneHot.test }));
  });
});
