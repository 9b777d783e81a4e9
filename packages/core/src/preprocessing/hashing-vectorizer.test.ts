import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type HashingVectorizerOptions, hashingVectorizer, loadHashingVectorizer } from './hashing-vectorizer.js';

type Rows = { indices: number[]; values: number[] }[];

import { murmurhash3_32 } from './murmurhash3.js';
import type { CsrMatrix } from './types.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/preprocessing.json', import.meta.url), 'utf8'));

function expectCsr(m: CsrMatrix, rows: { indices: number[]; values: number[] }[]) {
  expect(m.nRows).toBe(rows.length);
  rows.forEach((r, i) => {
    const a = m.indptr[i]!;
    const b = m.indptr[i + 1]!;
    expect(Array.from(m.indices.subarray(a, b))).toEqual(r.indices);
    r.values.forEach((v, k) => {
      expect(Math.abs(m.values[a + k]! - v)).toBeLessThanOrEqual(Math.max(1e-12, 1e-9 * Math.abs(v)));
    });
  });
}

describe('murmurhash3_32 (sklearn.utils.murmurhash3_32 parity)', () => {
  it.each(fx.murmur as { key: string; seed: number; signed: number; positive: number }[])('$key seed $seed', (c) => {
    expect(murmurhash3_32(c.key, c.seed)).toBe(c.signed);
    expect(murmurhash3_32(c.key, c.seed, true)).toBe(c.positive);
  });
});

describe('hashingVectorizer (sklearn HashingVectorizer parity)', () => {
  it.each(
    fx.hashing as { name: string; options: HashingVectorizerOptions; nFeatures: number; train: Rows; test: Rows }[],
  )('$name', (c) => {
    const f = hashingVectorizer(c.options).fit({ text: fx.tickets });
    const train = f.transform({ text: fx.tickets });
    expect(train.nCols).toBe(c.nFeatures);
    expectCsr(train, c.train);
    expectCsr(f.transform({ text: fx.ticketsTest }), c.test);
  });

  it('round-trips through JSON and refuses a bad nFeatures', () => {
    const f = hashingVectorizer({ nFeatures: 64 }).fit({ text: fx.tickets });
    const g = loadHashingVectorizer(JSON.parse(JSON.stringify(f)));
    expect(g.transform({ text: fx.ticketsTest })).toEqual(f.transform({ text: fx.ticketsTest }));
    expect(() => hashingVectorizer({ nFeatures: 0 })).toThrow(/nFeatures/);
  });
});
