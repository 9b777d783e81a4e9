import { isMlopsError } from '@mlops/core';
import {
  columnDropper,
  type DenseMatrix,
  denseMatrix,
  type Frame,
  imputer,
  oneHotEncoder,
  preprocessingPipeline,
  standardScaler,
  tfidfVectorizer,
} from '@mlops/core/preprocessing';
import { linearModel } from '@mlops/plugin-linear';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxPredictor } from '../flavor.js';
import { exportToOnnx } from './export.js';

const open: OnnxPredictor[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

const f32 = (v: number | null) => (v === null ? null : Math.fround(v));

// Numeric values are float32-representable, so the JS reference and the float32 graph inputs see the same numbers.
const train: Frame = {
  age: [31, null, 45, 22, 60, 38, null, 51].map(f32),
  income: [1200.5, 3400.25, null, 900, 5000, 2500.75, 3100, 4200].map(f32),
  city: ['Paris', 'Lyon', null, 'Paris', 'Nice', 'Lyon', null, 'Lille'],
  plan: ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'],
  constant: [1, 1, 1, 1, 1, 1, 1, 1],
};

function weights(nFeatures: number, rows: number): Float64Array {
  return Float64Array.from({ length: nFeatures * rows }, (_, i) => Math.sin(i * 1.7) * 0.8);
}

function toColumns(frame: Frame): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(frame).map(([k, v]) => [k, [...v]]));
}

describe('preprocessing in the graph', () => {
  it('imputer (mean, most frequent) → one-hot (null category, infrequent) → scaler → dense, as core computes', async () => {
    const { fitted, output } = preprocessingPipeline<DenseMatrix>([
      columnDropper({ maxMissingShare: 0.9 }),
      imputer({ columns: ['age', 'income'], strategy: 'mean' }),
      imputer({ perColumn: { plan: { strategy: 'most_frequent' } }, columns: [] }),
      oneHotEncoder({ columns: ['city', 'plan'], minFrequency: 2, handleUnknown: 'infrequent_if_exist' }),
      standardScaler(),
      denseMatrix(),
    ]).fitTransform(train);
    expect(output.columns).toContain('city_infrequent');
    expect(output.columns).toContain('city_null');
    expect(output.columns).not.toContain('constant');
    const model = linearModel({
      kind: 'multinomial',
      classes: ['x', 'y', 'z'],
      coef: weights(output.nCols, 3),
      intercept: Float64Array.from([0.1, -0.2, 0.05]),
      nFeatures: output.nCols,
    });
    const exported = exportToOnnx({ model, preprocessing: fitted });
    expect(exported.signature.inputs).toEqual(
      expect.arrayContaining([
        { name: 'age', type: 'float32', optional: true },
        { name: 'city', type: 'string', optional: true },
        { name: 'plan', type: 'string', optional: true },
      ]),
    );
    expect(exported.signature.inputs.map((i) => i.name)).not.toContain('constant');

    // New rows: missing values, an unseen city (→ infrequent), a missing plan (→ imputed).
    const test: Frame = {
      age: [null, 40, 18, 70].map(f32),
      income: [2000, null, 100.5, 9000].map(f32),
      city: ['Lille', 'Nice', 'Berlin', null],
      plan: [null, 'a', 'b', 'a'],
      constant: [1, 1, 1, 1],
    };
    const x = fitted.transform(test);
    const p = await loadOnnxModel(exported);
    open.push(p);
    const out = await p.predict(toColumns(test) as never);
    expect(out.label).toEqual(model.predict(x));
    const expected = model.predictProba(x);
    (out.probabilities as Float32Array[]).forEach((row, i) => {
      row.forEach((v, c) => {
        expect(Math.abs(v - expected[i]![c]!)).toBeLessThan(1e-6);
      });
    });
  });

  it('one-hot with handleUnknown "error" fails on an unseen category; "ignore" gives zeros', async () => {
    const model = (n: number) =>
      linearModel({
        kind: 'binary',
        classes: [0, 1],
        coef: weights(n, 1),
        intercept: new Float64Array(1),
        nFeatures: n,
      });
    const strict = preprocessingPipeline<DenseMatrix>([
      oneHotEncoder({ columns: ['plan'] }),
      denseMatrix({ columns: ['plan_a', 'plan_b'] }),
    ]).fit(train);
    const p = await loadOnnxModel(exportToOnnx({ model: model(2), preprocessing: strict }));
    open.push(p);
    await expect(p.predict({ plan: ['c'] })).rejects.toSatisfy((e) => isMlopsError(e, 'INVALID_INPUT'));
    expect(Array.from((await p.predict({ plan: ['a', 'b'] })).label as Float64Array)).toEqual(
      model(2).predict(strict.transform({ plan: ['a', 'b'] })),
    );

    const lenient = preprocessingPipeline<DenseMatrix>([
      oneHotEncoder({ columns: ['plan'], handleUnknown: 'ignore' }),
      denseMatrix({ columns: ['plan_b', 'plan_a'] }),
    ]).fit(train);
    const q = await loadOnnxModel(exportToOnnx({ model: model(2), preprocessing: lenient }));
    open.push(q);
    const rows = { plan: ['c', 'a', 'b'] };
    const expected = model(2).predictProba(lenient.transform(rows));
    const got = (await q.predict(rows)).probabilities as Float32Array[];
    expect(got.map((r) => Array.from(r, (v) => Number(v.toFixed(6))))).toEqual(
      expected.map((r) => r.map((v) => Number(v.toFixed(6)))),
    );
  });

  it('refuses text vectorizers with a clear UNSUPPORTED error', () => {
    const fitted = preprocessingPipeline([tfidfVectorizer()]).fit({ text: ['alpha beta gamma', 'beta gamma delta'] });
    const model = linearModel({
      kind: 'binary',
      classes: [0, 1],
      coef: weights(4, 1),
      intercept: new Float64Array(1),
      nFeatures: 4,
    });
    expect(() => exportToOnnx({ model, preprocessing: fitted })).toThrow(/keep text vectorizers in the model package/);
  });
});
