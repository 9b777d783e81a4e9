import type { DenseMatrix } from '@mlops/core/preprocessing';
import { linearModel } from '@mlops/plugin-linear';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxPredictor } from '../flavor.js';
import { exportToOnnx } from './export.js';

function matrix(rows: number[][]): DenseMatrix {
  const nCols = rows[0]!.length;
  return {
    columns: Array.from({ length: nCols }, (_, j) => `f${j}`),
    nRows: rows.length,
    nCols,
    data: Float64Array.from(rows.flat(), Math.fround),
  };
}

const open: OnnxPredictor[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

describe('linear export', () => {
  it('binary: Sigmoid probabilities and the label where the score is > 0', async () => {
    const model = linearModel({
      kind: 'binary',
      classes: ['no', 'yes'],
      coef: Float64Array.from([1.5, -2]),
      intercept: Float64Array.from([0.25]),
      nFeatures: 2,
    });
    const x = matrix([
      [0, 0],
      [1, 1],
      [-1, 0.5],
      [2, 1.625],
    ]);
    const p = await loadOnnxModel(exportToOnnx({ model }));
    open.push(p);
    const out = await p.predict(x);
    expect(out.label).toEqual(model.predict(x));
    expect(out.label).toEqual(['yes', 'no', 'no', 'no']);
    const probs = (out.probabilities as Float32Array[]).map((r) => Array.from(r));
    model.predictProba(x).forEach((row, i) => {
      row.forEach((v, c) => {
        expect(probs[i]![c]).toBeCloseTo(v, 6);
      });
    });
    expect(p.signature.inputs).toEqual([expect.objectContaining({ name: 'input', type: 'float32', shape: [2] })]);
    expect(p.signature.outputs.map((o) => [o.name, o.type, o.shape])).toEqual([
      ['label', 'string', []],
      ['probabilities', 'float32', [2]],
    ]);
  });

  it('multinomial: Softmax probabilities and ArgMax label, numeric classes', async () => {
    const model = linearModel({
      kind: 'multinomial',
      classes: [3, 7, 9],
      coef: Float64Array.from([1, 0, -1, 0.5, 0, 2]),
      intercept: Float64Array.from([0, 0.1, -0.1]),
      nFeatures: 2,
    });
    const x = matrix([
      [1, 0],
      [0, 1],
      [-1, -1],
      [3, -2],
    ]);
    const p = await loadOnnxModel(exportToOnnx({ model, inputName: 'features' }));
    open.push(p);
    const out = await p.predict(x);
    expect(out.label).toBeInstanceOf(Float64Array);
    expect(Array.from(out.label as Float64Array)).toEqual(model.predict(x));
    const expected = model.predictProba(x);
    (out.probabilities as Float32Array[]).forEach((row, i) => {
      row.forEach((v, c) => {
        expect(Math.abs(v - expected[i]![c]!)).toBeLessThan(1e-6);
      });
    });
  });
});
