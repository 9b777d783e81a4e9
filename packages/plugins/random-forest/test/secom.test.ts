// Random forests on SECOM-shaped SIMULATED data (@mlops/datasets' simulateSecom around the real labels and
// timestamps): a time-ordered split, core's imputer → dense matrix pipeline, and a model package round trip.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore, loadModelPackage, saveModelPackage } from '@mlops/core';
import { prAuc, precisionRecallF1 } from '@mlops/core/metrics';
import {
  type DenseMatrix,
  denseMatrix,
  type FittedPreprocessingPipeline,
  type Frame,
  imputer,
  preprocessingPipeline,
} from '@mlops/core/preprocessing';
import { loadSecomLabels, type SecomLabel, simulateSecom } from '@mlops/datasets';
import {
  fitRandomForest,
  type RandomForestModel,
  type RandomForestParams,
  randomForestFlavor,
  randomForestOutputSignature,
} from '@mlops/plugin-random-forest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Split {
  frame: Frame;
  y: SecomLabel[];
}

let train: Split;
let test: Split;
let pipeline: FittedPreprocessingPipeline<DenseMatrix>;
let xTrain: DenseMatrix;
let xTest: DenseMatrix;
let model: RandomForestModel;
let names: string[];

// Balanced random forest: every tree sees ~78 + 78 rows and 15 % of the columns. Few trees keep the test quick.
const PARAMS: RandomForestParams = { nEstimators: 20, balancedBootstrap: true, maxFeatures: 0.15, seed: 1, workers: 0 };

function frameOf(features: number[][], names: string[], from: number, to: number): Frame {
  const frame: Frame = {};
  names.forEach((name, j) => {
    frame[name] = features.slice(from, to).map((row) => row[j]!);
  });
  return frame;
}

function failRecall(yTrue: SecomLabel[], yPred: unknown[]): number {
  return precisionRecallF1(yTrue, yPred as SecomLabel[], { labels: [-1, 1] }).perClass[1]!.recall;
}

beforeAll(async () => {
  const { labels, timestamps } = await loadSecomLabels();
  const sim = simulateSecom({ seed: 3, labels, timestamps });
  expect(sim.simulated).toBe(true);
  names = sim.featureNames;
  // Time-ordered split: train on the earliest 70 % of runs, test on the latest 30 %.
  const order = timestamps.map((t, i) => [t.getTime(), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const features = order.map(([, i]) => sim.features[i]!);
  const y = order.map(([, i]) => sim.labels[i]!);
  const cut = Math.floor(0.7 * y.length);
  train = { frame: frameOf(features, names, 0, cut), y: y.slice(0, cut) };
  test = { frame: frameOf(features, names, cut, y.length), y: y.slice(cut) };
  const fitted = preprocessingPipeline<DenseMatrix>([imputer({ strategy: 'mean' }), denseMatrix()]).fitTransform(
    train.frame,
  );
  pipeline = fitted.fitted;
  xTrain = fitted.output;
  xTest = pipeline.transform(test.frame);
  model = await fitRandomForest({ x: xTrain, y: train.y }, PARAMS);
}, 120_000);

describe('random forest on SECOM-shaped simulated data', () => {
  it('beats the trivial baselines on fail-class PR-AUC and recall', () => {
    const prevalence = test.y.filter((v) => v === 1).length / test.y.length;
    const scores = model.predictProba(xTest).map((p) => p[1]!);
    expect(model.classes).toEqual([-1, 1]);
    // A constant score has PR-AUC = prevalence (~6 %); predicting the majority class has fail recall 0.
    expect(prAuc(test.y, scores, { posLabel: 1 })).toBeGreaterThan(3 * prevalence);
    expect(failRecall(test.y, model.predict(xTest))).toBeGreaterThan(0.2);
    // The informative simulated columns dominate the impurity importances.
    const sim = simulateSecom({ seed: 3, labels: [-1, 1], timestamps: [new Date(0), new Date(1)] });
    const informative = new Set(sim.columns.filter((c) => c.kind === 'informative').map((c) => c.name));
    const top = model.featureImportances
      .map((v, j) => [v, xTrain.columns[j]!] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5);
    expect(top.filter(([, name]) => informative.has(name)).length).toBeGreaterThanOrEqual(3);
  });

  it('is deterministic: the same seed gives an identical model, also from worker threads', async () => {
    const small = { ...PARAMS, nEstimators: 6, seed: 9 };
    const a = await fitRandomForest({ x: xTrain, y: train.y }, small);
    const b = await fitRandomForest({ x: xTrain, y: train.y }, { ...small, workers: 2 });
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    const c = await fitRandomForest({ x: xTrain, y: train.y }, { ...small, seed: 10 });
    expect(JSON.stringify(c.toJSON())).not.toBe(JSON.stringify(a.toJSON()));
  }, 120_000);

  it('class weighting raises fail-class recall over no weighting', async () => {
    // Same rows per tree (200) and columns for both; only the class mix of each tree's sample differs.
    const common: RandomForestParams = { nEstimators: 15, maxFeatures: 0.1, maxSamples: 200, seed: 2, workers: 0 };
    const plain = await fitRandomForest({ x: xTrain, y: train.y }, common);
    const weighted = await fitRandomForest({ x: xTrain, y: train.y }, { ...common, classWeight: 'balanced' });
    const plainRecall = failRecall(test.y, plain.predict(xTest));
    const weightedRecall = failRecall(test.y, weighted.predict(xTest));
    expect(weightedRecall).toBeGreaterThan(plainRecall);
    expect(failRecall(test.y, model.predict(xTest))).toBeGreaterThan(plainRecall);
  }, 120_000);

  describe('model package round trip', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rf-package-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('save → load with the fitted imputer → dense matrix pipeline gives identical predictions', async () => {
      const objects = fsObjectStore({ dir });
      const { digest } = await saveModelPackage({
        objects,
        flavor: randomForestFlavor(),
        model,
        signature: {
          inputs: names.map((name) => ({ name, type: 'float64' as const, optional: true })),
          outputs: randomForestOutputSignature(model),
        },
        preprocessing: pipeline,
        lineage: {},
        metadata: { simulated: true },
      });
      const { manifest, predictor } = await loadModelPackage({ objects, digest, flavors: [randomForestFlavor()] });
      expect(manifest.flavor.name).toBe('mlops.random-forest');
      // Raw columns with NaN for missing readings: the package's imputer fills them, as at training time.
      const raw = Object.fromEntries(
        names.map((n) => [n, Float64Array.from(test.frame[n]!, (v) => (typeof v === 'number' ? v : Number.NaN))]),
      );
      const out = await predictor.predict(raw);
      expect(out.probabilities).toEqual(model.predictProba(xTest));
      expect(Array.from(out.label as Float64Array)).toEqual(model.predict(xTest));
    });
  });
});
