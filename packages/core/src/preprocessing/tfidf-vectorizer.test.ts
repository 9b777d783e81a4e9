import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTfidfVectorizer, type TfidfVectorizerOptions, tfidfVectorizer } from './tfidf-vectorizer.js';

type Rows = { indices: number[]; values: number[] }[];

import type { CsrMatrix } from './types.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/preprocessing.json', import.meta.url), 'utf8'));

function expectClose(actual: number, expected: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1e-12, 1e-9 * Math.abs(expected)));
}

/** Compares a CSR matrix with sklearn's rows of (indices, values). */
function expectCsr(m: CsrMatrix, rows: { indices: number[]; values: number[] }[]) {
  expect(m.nRows).toBe(rows.length);
  rows.forEach((r, i) => {
    const a = m.indptr[i]!;
    const b = m.indptr[i + 1]!;
    expect(Array.from(m.indices.subarray(a, b))).toEqual(r.indices);
    r.values.forEach((v, k) => {
      expectClose(m.values[a + k]!, v);
    });
  });
}

describe('tfidfVectorizer (sklearn TfidfVectorizer parity on IT-ticket texts)', () => {
  it.each(
    fx.tfidf as {
      name: string;
      options: TfidfVectorizerOptions;
      vocabulary: string[];
      idf: number[] | null;
      train: Rows;
      test: Rows;
    }[],
  )('$name', (c) => {
    const f = tfidfVectorizer(c.options).fit({ text: fx.tickets });
    expect(f.vocabulary).toEqual(c.vocabulary);
    const idf = f.toJSON().idf;
    if (c.idf === null) expect(idf).toBeNull();
    else
      c.idf.forEach((v: number, j: number) => {
        expectClose(idf![j]!, v);
      });
    const train = f.transform({ text: fx.tickets });
    expect(train.nCols).toBe(c.vocabulary.length);
    expect(train.columns).toEqual(c.vocabulary);
    expectCsr(train, c.train);
    expectCsr(f.transform({ text: fx.ticketsTest }), c.test);
  });

  it('reads the named column of a wider frame and treats missing text as empty', () => {
    const f = tfidfVectorizer({ column: 'body' }).fit({
      body: fx.tickets,
      id: fx.tickets.map((_: string, i: number) => i),
    });
    const m = f.transform({ body: [null, 'vpn'], id: [1, 2] });
    expect(Array.from(m.indptr)).toEqual([0, 0, 1]);
    expect(m.values[0]).toBe(1);
  });

  it('refuses an empty vocabulary and non-text cells', () => {
    expect(() => tfidfVectorizer().fit({ t: ['a', 'b'] })).toThrow(/empty vocabulary/);
    expect(() => tfidfVectorizer().fit({ t: ['ok fine', 3] })).toThrow(/row 1 is not text/);
    expect(() => tfidfVectorizer().fit({ t: ['x'], u: ['y'] })).toThrow(/pass the text column/);
  });

  it('round-trips through JSON bit-identically', () => {
    const f = tfidfVectorizer({ ngramRange: [1, 2], sublinearTf: true }).fit({ text: fx.tickets });
    const g = loadTfidfVectorizer(JSON.parse(JSON.stringify(f)));
    expect(g.transform({ text: fx.ticketsTest })).toEqual(f.transform({ text: fx.ticketsTest }));
  });
});
