import type { CsrMatrix, DenseMatrix } from '@mlops/core/preprocessing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearModel, sigmoid } from './model.js';

const finite = fc.double({ min: -30, max: 30, noNaN: true, noDefaultInfinity: true });

/** A random model (binary or multinomial) with a matching random dense batch. */
const modelAndBatch = fc
  .record({
    binary: fc.boolean(),
    nClasses: fc.integer({ min: 3, max: 6 }),
    nFeatures: fc.integer({ min: 1, max: 6 }),
    nRows: fc.integer({ min: 1, max: 12 }),
  })
  .chain(({ binary, nClasses, nFeatures, nRows }) => {
    const k = binary ? 2 : nClasses;
    const rows = binary ? 1 : k;
    return fc.record({
      binary: fc.constant(binary),
      k: fc.constant(k),
      nFeatures: fc.constant(nFeatures),
      nRows: fc.constant(nRows),
      coef: fc.array(finite, { minLength: rows * nFeatures, maxLength: rows * nFeatures }),
      intercept: fc.array(finite, { minLength: rows, maxLength: rows }),
      data: fc.array(finite, { minLength: nRows * nFeatures, maxLength: nRows * nFeatures }),
      perm: fc.shuffledSubarray([...Array(nRows).keys()], { minLength: nRows, maxLength: nRows }),
    });
  });

type Case = typeof modelAndBatch extends fc.Arbitrary<infer T> ? T : never;

function build(c: Case) {
  const classes = Array.from({ length: c.k }, (_, i) => `class-${i}`);
  const model = linearModel({
    kind: c.binary ? 'binary' : 'multinomial',
    classes,
    coef: Float64Array.from(c.coef),
    intercept: Float64Array.from(c.intercept),
    nFeatures: c.nFeatures,
  });
  const x: DenseMatrix = { columns: [], nRows: c.nRows, nCols: c.nFeatures, data: Float64Array.from(c.data) };
  return { model, x };
}

function toCsr(x: DenseMatrix): CsrMatrix {
  const indptr = new Int32Array(x.nRows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < x.nRows; i++) {
    for (let j = 0; j < x.nCols; j++) {
      const v = x.data[i * x.nCols + j]!;
      if (v !== 0) {
        indices.push(j);
        values.push(v);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return {
    nRows: x.nRows,
    nCols: x.nCols,
    indptr,
    indices: Int32Array.from(indices),
    values: Float64Array.from(values),
  };
}

describe('linearModel (property tests)', () => {
  it('probabilities lie in [0, 1] and sum to 1 on every row', () => {
    fc.assert(
      fc.property(modelAndBatch, (c) => {
        const { model, x } = build(c);
        for (const row of model.predictProba(x)) {
          expect(row).toHaveLength(c.k);
          for (const p of row) expect(p >= 0 && p <= 1).toBe(true);
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
        }
      }),
    );
  });

  it('predictions do not depend on row order (permuting rows permutes outputs)', () => {
    fc.assert(
      fc.property(modelAndBatch, (c) => {
        const { model, x } = build(c);
        const permuted: DenseMatrix = { ...x, data: new Float64Array(x.data.length) };
        c.perm.forEach((src, dst) => {
          permuted.data.set(x.data.subarray(src * x.nCols, (src + 1) * x.nCols), dst * x.nCols);
        });
        const p = model.predictProba(x);
        const q = model.predictProba(permuted);
        const l = model.predict(x);
        const m = model.predict(permuted);
        c.perm.forEach((src, dst) => {
          expect(q[dst]).toEqual(p[src]);
          expect(m[dst]).toBe(l[src]);
        });
      }),
    );
  });

  it('the label is the most probable class, and dense and CSR inputs agree', () => {
    fc.assert(
      fc.property(modelAndBatch, (c) => {
        const { model, x } = build(c);
        const proba = model.predictProba(x);
        const labels = model.predict(x);
        proba.forEach((row, i) => {
          const best = Math.max(...row);
          expect(row[model.classes.indexOf(labels[i]!)]!).toBeGreaterThanOrEqual(best - 1e-12);
        });
        const csr = model.predictProbaMatrix(toCsr(x));
        const dense = model.predictProbaMatrix(x);
        for (let i = 0; i < dense.length; i++) expect(Math.abs(csr[i]! - dense[i]!)).toBeLessThan(1e-12);
      }),
    );
  });
});

describe('linearModel', () => {
  it('computes sigmoid / softmax exactly on a hand example', () => {
    const bin = linearModel({
      kind: 'binary',
      classes: [-1, 1],
      coef: Float64Array.from([2, -1]),
      intercept: Float64Array.from([0.5]),
      nFeatures: 2,
    });
    const x: DenseMatrix = { columns: ['a', 'b'], nRows: 2, nCols: 2, data: Float64Array.from([1, 1, 0, 1]) };
    expect(Array.from(bin.decisionFunction(x))).toEqual([1.5, -0.5]);
    expect(bin.predictProba(x)[0]![1]).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 15);
    expect(bin.predict(x)).toEqual([1, -1]);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);

    const soft = linearModel({
      kind: 'multinomial',
      classes: ['a', 'b', 'c'],
      coef: Float64Array.from([1, 0, 0, 1, 0, 0]),
      intercept: new Float64Array(3),
      nFeatures: 2,
    });
    const [p] = soft.predictProba({ ...x, nRows: 1, data: Float64Array.from([Math.log(2), Math.log(3)]) });
    expect(p![0]).toBeCloseTo(2 / 6, 15);
    expect(p![1]).toBeCloseTo(3 / 6, 15);
    expect(p![2]).toBeCloseTo(1 / 6, 15);
  });

  it('refuses inconsistent shapes and wrong inputs', () => {
    const base = {
      kind: 'multinomial' as const,
      classes: ['a', 'b', 'c'],
      coef: new Float64Array(6),
      intercept: new Float64Array(3),
      nFeatures: 2,
    };
    expect(() => linearModel({ ...base, coef: new Float64Array(5) })).toThrow(/coef must be/);
    expect(() => linearModel({ ...base, kind: 'binary' })).toThrow(/binary model has 2 classes/);
    expect(() => linearModel({ ...base, classes: ['a', 'a', 'b'] })).toThrow(/unique/);
    expect(() => linearModel({ ...base, intercept: Float64Array.from([0, Number.NaN, 0]) })).toThrow(/not finite/);
    const m = linearModel(base);
    const wide: DenseMatrix = { columns: [], nRows: 1, nCols: 3, data: new Float64Array(3) };
    expect(() => m.predict(wide)).toThrow(/3 columns but the model was trained on 2 features/);
    const badCsr = {
      nRows: 1,
      nCols: 2,
      indptr: Int32Array.from([0, 1]),
      indices: Int32Array.from([5]),
      values: Float64Array.from([1]),
    };
    expect(() => m.predict(badCsr)).toThrow(/out of range/);
  });
});
