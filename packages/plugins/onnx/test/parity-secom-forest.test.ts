import {
  type DenseMatrix,
  denseMatrix,
  type Frame,
  imputer,
  preprocessingPipeline,
  standardScaler,
} from '@mlops/core/preprocessing';
import { type SecomLabel, simulateSecom } from '@mlops/datasets';
import { exportToOnnx, loadOnnxModel } from '@mlops/plugin-onnx';
import { fitRandomForest } from '@mlops/plugin-random-forest';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, rng } from './_helpers.js';

/**
 * SECOM-shaped simulated readings (590 sensors, NaN for missing), float32-rounded, as a frame and as columns; rows
 * `from..to` of one simulation (so training and held-out rows share the simulated sensors).
 */
function secom(n: number, seed: number, from: number, to: number) {
  const r = rng(seed);
  const labels: SecomLabel[] = Array.from({ length: n }, () => (r() < 0.1 ? 1 : -1));
  const t0 = Date.UTC(2008, 6, 19);
  const timestamps = Array.from({ length: n }, (_, i) => new Date(t0 + i * 3_600_000));
  const sim = simulateSecom({ seed, labels, timestamps, effectSize: 2 });
  expect(sim.simulated).toBe(true);
  const frame: Frame = {};
  const columns: Record<string, Float32Array> = {};
  const rows = sim.features.slice(from, to);
  sim.featureNames.forEach((name, j) => {
    const col = Float32Array.from(rows, (row) => row[j]!);
    columns[name] = col;
    frame[name] = Array.from(col, (v) => (Number.isNaN(v) ? null : v));
  });
  return { frame, columns, labels: labels.slice(from, to) };
}

describe('ONNX parity: random forest with imputer + scaler in the graph (simulated SECOM)', () => {
  it('labels identical on every row, probabilities within 1e-5', async () => {
    const train = secom(700, 7, 0, 400);
    const { fitted, output } = preprocessingPipeline<DenseMatrix>([
      imputer({ strategy: 'mean' }),
      standardScaler(),
      denseMatrix(),
    ]).fitTransform(train.frame);
    const forest = await fitRandomForest(
      { x: output, y: train.labels },
      { nEstimators: 40, maxDepth: 8, maxFeatures: 0.1, seed: 3, balancedBootstrap: true, workers: 0 },
    );
    const exported = exportToOnnx({ model: forest, preprocessing: fitted });
    // One graph input per sensor kept by the imputer, imputed ones optional; outputs label + probabilities.
    expect(exported.signature.inputs.length).toBe(output.nCols);
    expect(exported.signature.inputs.some((i) => i.optional)).toBe(true);
    expect(exported.classLabels).toEqual([-1, 1]);

    const held = secom(700, 7, 400, 700);
    const predictor = await loadOnnxModel(exported, { intraOpNumThreads: 2 });
    try {
      for (const [name, data] of [
        ['train', train],
        ['held-out', held],
      ] as const) {
        const x = fitted.transform(data.frame);
        const out = await predictor.predict(data.columns);
        const expected = forest.predict(x);
        expect(Array.from(out.label as Float64Array)).toEqual(expected);
        const diff = maxAbsDiff(forest.predictProba(x), out.probabilities as Float32Array[]);
        const fails = expected.filter((l) => l === 1).length;
        console.info(
          `secom forest parity (${name}): ${x.nRows} rows × ${x.nCols} features, ${forest.trees.length} trees, ` +
            `${fails} predicted fails, max |Δp| = ${diff.toExponential(2)}`,
        );
        expect(diff).toBeLessThan(1e-5);
        expect(fails).toBeGreaterThan(0);
      }
    } finally {
      await predictor.close();
    }
  });
});
