import type { DenseMatrix } from '@mlops/core/preprocessing';
import { FOREST_JSON_KIND, type ForestJson, randomForestModel } from '@mlops/plugin-random-forest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxPredictor } from '../flavor.js';
import { exportToOnnx } from './export.js';

function matrix(rows: number[][]): DenseMatrix {
  const nCols = rows[0]!.length;
  return { columns: ['a', 'b'].slice(0, nCols), nRows: rows.length, nCols, data: Float64Array.from(rows.flat()) };
}

// Tree: x0 < 0.5 ? (x1 < 2 ? leaf1 : leaf2) : leaf3
function forest(task: 'classification' | 'regression', classes: (string | number)[], leaves: number[][][]): ForestJson {
  return {
    kind: FOREST_JSON_KIND,
    schemaVersion: 1,
    task,
    splitRule: 'BRANCH_LT',
    aggregate: 'mean',
    nFeatures: 2,
    featureNames: ['a', 'b'],
    classes: classes as string[],
    trees: leaves.map((l) => ({
      feature: [0, 1, -1, -1, -1],
      threshold: [0.5, 2, 0, 0, 0],
      left: [1, 2, -1, -1, -1],
      right: [4, 3, -1, -1, -1],
      samples: [10, 6, 3, 3, 4],
      value: [[], [], l[0]!, l[1]!, l[2]!].map((v, i) => (i < 2 ? new Array(l[0]!.length).fill(0) : v)),
    })),
    featureImportances: [0.5, 0.5],
    params: {},
  };
}

// Rows on both sides of every threshold, and exactly on them (x < t is false at x = t).
const X = matrix([
  [0.4999, 1.9999],
  [0.5, 1],
  [0, 2],
  [-3, 5],
  [0.5000001, 2],
  [7, -1],
]);

const open: OnnxPredictor[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

describe('random forest export', () => {
  it('binary: probabilities from TreeEnsembleClassifier, label by ArgMax (the tree label output is not used)', async () => {
    const m = randomForestModel(
      forest(
        'classification',
        ['pass', 'fail'],
        [
          [
            [0.9, 0.1],
            [0.2, 0.8],
            [0.6, 0.4],
          ],
          [
            [0.7, 0.3],
            [0.4, 0.6],
            [0.1, 0.9],
          ],
          [
            [1, 0],
            [0, 1],
            [0.5, 0.5],
          ],
        ],
      ),
    );
    const p = await loadOnnxModel(exportToOnnx({ model: m }));
    open.push(p);
    const out = await p.predict(X);
    expect(out.label).toEqual(m.predict(X));
    expect(new Set(out.label as string[])).toEqual(new Set(['pass', 'fail']));
    const expected = m.predictProba(X);
    (out.probabilities as Float32Array[]).forEach((row, i) => {
      row.forEach((v, c) => {
        expect(Math.abs(v - expected[i]![c]!)).toBeLessThan(1e-6);
      });
    });
  });

  it('multi-class with numeric labels, and a tie resolved to the first class as in JS', async () => {
    const m = randomForestModel(
      forest(
        'classification',
        [-1, 1, 5],
        [
          [
            [0.5, 0.5, 0],
            [0, 0, 1],
            [0.2, 0.3, 0.5],
          ],
          [
            [0.5, 0.5, 0],
            [0, 1, 0],
            [0.2, 0.3, 0.5],
          ],
        ],
      ),
    );
    const p = await loadOnnxModel(exportToOnnx({ model: m }));
    open.push(p);
    const out = await p.predict(X);
    expect(Array.from(out.label as Float64Array)).toEqual(m.predict(X));
    expect((out.label as Float64Array)[0]).toBe(-1);
  });

  it('regression: TreeEnsembleRegressor averages the leaves', async () => {
    const m = randomForestModel(
      forest(
        'regression',
        [],
        [
          [[1], [2], [3]],
          [[10], [20], [30]],
        ],
      ),
    );
    const exported = exportToOnnx({ model: m });
    expect(exported.classLabels).toBeUndefined();
    const p = await loadOnnxModel(exported);
    open.push(p);
    const out = await p.predict(X);
    expect(Array.from(out.prediction as Float32Array)).toEqual((m.predict(X) as number[]).map(Math.fround));
    expect(p.signature.outputs).toEqual([expect.objectContaining({ name: 'prediction', type: 'float32', shape: [] })]);
  });
});
