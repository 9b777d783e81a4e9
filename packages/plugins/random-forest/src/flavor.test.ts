import { isMlopsError, parseSignature } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { createRng } from './_internal/prng.js';
import { RANDOM_FOREST_FILE, randomForestFlavor, randomForestOutputSignature } from './flavor.js';
import { fitRandomForest } from './trainer.js';

const rng = createRng(3);
const n = 80;
const x = {
  columns: ['u', 'v'],
  nRows: n,
  nCols: 2,
  data: Float64Array.from({ length: n * 2 }, () => rng.next()),
};
const y = Array.from({ length: n }, (_, i) => (x.data[i * 2]! > 0.5 ? 1 : 0));
const signature = parseSignature({ inputs: [{ name: 'u', type: 'float64' }] });

describe('randomForestFlavor', () => {
  it('saves one compact JSON file and loads a predictor giving label and probabilities', async () => {
    const model = await fitRandomForest({ x, y }, { nEstimators: 7, maxFeatures: 1, workers: 0 });
    const flavor = randomForestFlavor();
    const saved = await flavor.save(model);
    expect(Object.keys(saved.files)).toEqual([RANDOM_FOREST_FILE]);
    expect(saved.config).toMatchObject({ task: 'classification', nFeatures: 2, nTrees: 7, classes: [0, 1] });
    const text = new TextDecoder().decode(saved.files[RANDOM_FOREST_FILE]);
    expect(text).not.toContain('\n');
    expect(JSON.parse(text)).toEqual(model.toJSON());

    const predictor = await flavor.load(saved, { signature, preprocessed: true });
    expect(predictor.batchable).toBe(true);
    const out = await predictor.predict(x);
    expect(Object.keys(out)).toEqual(['label', 'probabilities']);
    expect(Array.from(out.label as Float64Array)).toEqual(model.predict(x));
    expect(out.probabilities).toEqual(model.predictProba(x));
    // `{ x: matrix }` and columns by feature name are accepted too.
    expect(await predictor.predict({ x } as never)).toEqual(out);
    const cols = { v: x.data.filter((_, i) => i % 2 === 1), u: x.data.filter((_, i) => i % 2 === 0) };
    expect(await predictor.predict(cols)).toEqual(out);
  });

  it('describes its outputs for a signature', () => {
    expect(randomForestOutputSignature({ task: 'classification', classes: ['a', 'b'] })).toEqual([
      expect.objectContaining({ name: 'label', type: 'string' }),
      expect.objectContaining({ name: 'probabilities', type: 'float64', shape: [2] }),
    ]);
    expect(randomForestOutputSignature({ task: 'regression', classes: [] })).toEqual([
      expect.objectContaining({ name: 'prediction', type: 'float64' }),
    ]);
  });

  it('rejects a missing file, bad JSON, a wrong-width batch and missing values with INVALID_INPUT', async () => {
    const flavor = randomForestFlavor();
    const model = await fitRandomForest({ x, y }, { nEstimators: 2, workers: 0 });
    const saved = await flavor.save(model);
    const codes: unknown[] = [];
    const capture = async (p: Promise<unknown>) => {
      try {
        await p;
        codes.push('ok');
      } catch (err) {
        codes.push(isMlopsError(err) ? err.code : err);
      }
    };
    await capture(flavor.load({ files: {} }, { signature, preprocessed: false }));
    await capture(
      flavor.load(
        { files: { [RANDOM_FOREST_FILE]: new TextEncoder().encode('{') } },
        { signature, preprocessed: false },
      ),
    );
    const predictor = await flavor.load(saved, { signature, preprocessed: true });
    await capture(predictor.predict({ columns: ['u'], nRows: 1, nCols: 1, data: new Float64Array([0.2]) }));
    await capture(
      predictor.predict({ columns: ['u', 'v'], nRows: 1, nCols: 2, data: new Float64Array([0.2, Number.NaN]) }),
    );
    expect(codes).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT']);
  });
});
