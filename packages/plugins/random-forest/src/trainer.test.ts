import { createProgress, isMlopsError, type RunLike } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { createRng } from './_internal/prng.js';
import { fitRandomForest, randomForestTrainer } from './trainer.js';

// Three classes driven by features 0 and 1; features 2..5 are noise.
function blobs(n: number, seed = 1) {
  const rng = createRng(seed);
  const nCols = 6;
  const data = new Float64Array(n * nCols);
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < nCols; j++) data[i * nCols + j] = rng.next() * 2;
    data[i * nCols] = data[i * nCols]! + c * 2;
    data[i * nCols + 1] = data[i * nCols + 1]! - c;
    y.push(['low', 'mid', 'high'][c]!);
  }
  return { x: { columns: ['a', 'b', 'n1', 'n2', 'n3', 'n4'], nRows: n, nCols, data }, y };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isMlopsError(err) ? err.code : `not an MlopsError: ${String(err)}`;
  }
}

describe('randomForestTrainer', () => {
  const train = blobs(150);
  const test = blobs(90, 2);

  it('learns string labels and maps class indices back to them', async () => {
    const model = await randomForestTrainer().fit(train, { nEstimators: 15, maxFeatures: 0.5, workers: 0 });
    expect(model.classes).toEqual(['high', 'low', 'mid']);
    const pred = model.predict(test.x);
    const acc = pred.filter((p, i) => p === test.y[i]).length / pred.length;
    expect(acc).toBeGreaterThan(0.85);
    for (const row of model.predictProba(test.x)) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Impurity importances point at the two informative features.
    const [first, second] = model.featureImportances
      .map((v, j) => [v, j] as const)
      .sort((p, q) => q[0] - p[0])
      .map(([, j]) => j);
    expect(new Set([first, second])).toEqual(new Set([0, 1]));
    expect(model.featureImportances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('takes numeric columns as well as a matrix, and the same seed gives the same forest', async () => {
    const cols: Record<string, Float64Array> = {};
    train.x.columns.forEach((name, j) => {
      cols[name] = Float64Array.from({ length: train.x.nRows }, (_, i) => train.x.data[i * train.x.nCols + j]!);
    });
    const params = { nEstimators: 6, maxFeatures: 3, seed: 11, workers: 0 };
    const a = await fitRandomForest(train, params);
    const b = await fitRandomForest({ x: cols, y: train.y }, params);
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    const c = await fitRandomForest(train, { ...params, seed: 12 });
    expect(JSON.stringify(c.toJSON())).not.toBe(JSON.stringify(a.toJSON()));
  });

  it('gives the same forest in worker threads as in the calling thread', async () => {
    const params = { nEstimators: 8, maxFeatures: 0.5, seed: 5 };
    const inline = await fitRandomForest(train, { ...params, workers: 0 });
    const ticks: number[] = [];
    const threaded = await fitRandomForest(
      train,
      { ...params, workers: 2 },
      { progress: { ...createProgress({ label: 't', mode: 'silent' }), tick: (n = 1) => ticks.push(n) } },
    );
    expect(JSON.stringify(threaded.toJSON())).toBe(JSON.stringify(inline.toJSON()));
    expect(ticks).toHaveLength(8);
  });

  it('does regression with numeric targets', async () => {
    const target = Array.from({ length: train.x.nRows }, (_, i) => 3 * train.x.data[i * 6]! - train.x.data[i * 6 + 1]!);
    const model = await fitRandomForest(
      { x: train.x, y: target },
      { task: 'regression', nEstimators: 10, maxFeatures: 1, workers: 0, maxSamples: 100 },
    );
    expect(model.classes).toEqual([]);
    const pred = model.predict(test.x) as number[];
    const truth = Array.from({ length: test.x.nRows }, (_, i) => 3 * test.x.data[i * 6]! - test.x.data[i * 6 + 1]!);
    const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
    const sse = pred.reduce((s, p, i) => s + (p - truth[i]!) ** 2, 0);
    const sst = truth.reduce((s, t) => s + (t - mean) ** 2, 0);
    expect(1 - sse / sst).toBeGreaterThan(0.8); // R²
  });

  it('logs resolved params to the run and ticks progress once per tree', async () => {
    const params: Record<string, unknown> = {};
    const run: RunLike = {
      logParam: (k, v) => {
        params[k] = v;
      },
      logMetric: () => {},
    };
    let ticks = 0;
    const progress = { ...createProgress({ label: 't', mode: 'silent' }), tick: () => void ticks++ };
    await fitRandomForest(train, { nEstimators: 4, workers: 0 }, { run, progress });
    expect(params).toMatchObject({ nEstimators: 4, maxFeatures: 'sqrt', featuresPerTree: 2, seed: 42, workers: 0 });
    expect(ticks).toBe(4);
  });

  it('throws ABORTED when the signal fires, inline and in workers', async () => {
    for (const workers of [0, 2]) {
      const ac = new AbortController();
      let ticks = 0;
      const progress = {
        ...createProgress({ label: 't', mode: 'silent' }),
        tick: () => {
          if (++ticks === 2) ac.abort();
        },
      };
      const code = await codeOf(fitRandomForest(train, { nEstimators: 200, workers }, { signal: ac.signal, progress }));
      expect(code).toBe('ABORTED');
      expect(ticks).toBeLessThan(200);
    }
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(fitRandomForest(train, {}, { signal: ac.signal }))).toBe('ABORTED');
  });

  it('refuses missing values naming the column, and bad labels and params', async () => {
    const data = Float64Array.from(train.x.data);
    data[5 * 6 + 3] = Number.NaN;
    try {
      await fitRandomForest({ x: { ...train.x, data }, y: train.y }, { workers: 0 });
      expect.unreachable();
    } catch (err) {
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
      expect((err as Error).message).toContain('"n2"');
      expect((err as Error).message).toMatch(/impute/);
    }
    const cols = { a: [1, null, 3], b: [1, 2, 3] };
    expect(await codeOf(fitRandomForest({ x: cols, y: ['x', 'y', 'x'] }, { workers: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(fitRandomForest({ x: train.x }, {}))).toBe('INVALID_INPUT');
    const mixed = train.y.map((v, i) => (i === 3 ? 7 : v));
    expect(await codeOf(fitRandomForest({ x: train.x, y: mixed }, {}))).toBe('INVALID_INPUT');
    expect(await codeOf(fitRandomForest(train, { nEstimators: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(fitRandomForest(train, { maxFeatures: 99 }))).toBe('INVALID_INPUT');
    expect(await codeOf(fitRandomForest(train, { classWeight: { nope: 2 } }))).toBe('INVALID_INPUT');
    expect(await codeOf(fitRandomForest(train, { classWeight: 'balanced', balancedBootstrap: true }))).toBe(
      'INVALID_INPUT',
    );
  });

  it('applies class weights and sample weights through the rows each tree draws', async () => {
    // Weight 0 for a class removes it from every bootstrap: the forest never predicts it.
    const noMid = await fitRandomForest(train, { nEstimators: 5, classWeight: { mid: 0 }, workers: 0 });
    expect(noMid.predict(test.x)).not.toContain('mid');
    const onlyLow = await fitRandomForest(
      { ...train, weights: train.y.map((c) => (c === 'low' ? 1 : 0)) },
      { nEstimators: 3, workers: 0 },
    );
    expect(new Set(onlyLow.predict(test.x))).toEqual(new Set(['low']));
    // Every tree of a balanced bootstrap sees as many rows of each class (50 each here).
    const balanced = await fitRandomForest(train, { nEstimators: 3, balancedBootstrap: true, workers: 0 });
    for (const t of balanced.trees) expect(t.samples[0]).toBe(150);
  });
});
