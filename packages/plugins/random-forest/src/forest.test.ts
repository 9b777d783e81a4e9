import { isMlopsError } from '@mlops/core';
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import { describe, expect, it } from 'vitest';
import { createRng } from './_internal/prng.js';
import { forestToTrees, fromMlRandomForest, parseForestJson } from './forest.js';

// Small seeded data: 4 features, label depends on the first two plus noise.
const rng = createRng(7);
const X = Array.from({ length: 120 }, () => [rng.next(), rng.next(), rng.next(), rng.next()]);
const y = X.map((v) => (v[0]! + 0.5 * v[1]! + 0.3 * rng.next() > 0.9 ? 1 : 0));
const matrix = { columns: ['a', 'b', 'c', 'd'], nRows: X.length, nCols: 4, data: Float64Array.from(X.flat()) };

type LibForest = InstanceType<typeof RandomForestClassifier> & {
  predictionValues(x: number[][]): { getRow(i: number): number[] };
  predictProbability(x: number[][], label: number): number[];
  estimators: { root: { classify(row: number[]): { to1DArray(): number[] } } }[];
  indexes: number[][];
};

function libForest(treeOptions: Record<string, unknown>): LibForest {
  const rf = new RandomForestClassifier({
    nEstimators: 15,
    seed: 3,
    noOOB: true,
    maxFeatures: 0.75,
    treeOptions,
  } as never) as unknown as LibForest;
  rf.train(X, y);
  return rf;
}

describe('fromMlRandomForest: our tree structure against ml-random-forest', () => {
  it('with pure leaves, soft voting equals the hard-vote share of the library trees', () => {
    // minNumSamples 1 and no gain threshold grow every tree until its leaves are pure: leaf distributions are
    // one-hot, so the mean of leaf distributions IS the share of trees voting for the class.
    const rf = libForest({ minNumSamples: 1, gainThreshold: 0 });
    const ours = fromMlRandomForest(rf.toJSON(), { classes: [0, 1] }).predictProba(matrix);
    const votes = rf.predictionValues(X);
    const lib = rf.predictProbability(X, 1);
    let compared = 0;
    for (let i = 0; i < X.length; i++) {
      const v = votes.getRow(i);
      const hardShare = v.filter((c) => c === 1).length / v.length;
      expect(ours[i]![1]).toBeCloseTo(hardShare, 12);
      expect(ours[i]![0]! + ours[i]![1]!).toBeCloseTo(1, 12);
      // ml-random-forest 2.1.0's predictProbability reduces without an initial value: the first tree's vote is
      // replaced by its class index × 1e-6. It agrees with us (to its 1e-6 rounding) when the first tree votes 0.
      if (v[0] === 0) {
        expect(lib[i]).toBeCloseTo(ours[i]![1]!, 6);
        compared++;
      } else {
        expect(lib[i]).toBeCloseTo(ours[i]![1]! - 1 / v.length + 1e-6, 6);
      }
    }
    expect(compared).toBeGreaterThan(10);
  });

  it('with impure leaves, probabilities are the mean of the library trees’ leaf distributions (soft voting)', () => {
    const rf = libForest({ maxDepth: 2 });
    const ours = fromMlRandomForest(rf.toJSON(), { classes: ['no', 'yes'] }).predictProba(matrix);
    let differsFromHard = false;
    for (let i = 0; i < X.length; i++) {
      const mean = [0, 0];
      rf.estimators.forEach((est, t) => {
        const local = rf.indexes[t]!.map((j) => X[i]![j]!);
        const d = est.root.classify(local).to1DArray();
        const s = d.reduce((a: number, b: number) => a + b, 0);
        for (let c = 0; c < d.length; c++) mean[c]! += d[c]! / s / rf.estimators.length;
      });
      expect(ours[i]![0]).toBeCloseTo(mean[0]!, 12);
      expect(ours[i]![1]).toBeCloseTo(mean[1]!, 12);
      const v = rf.predictionValues(X).getRow(i);
      if (Math.abs(v.filter((c) => c === 1).length / v.length - ours[i]![1]!) > 1e-9) differsFromHard = true;
    }
    expect(differsFromHard).toBe(true);
  });

  it('maps local split columns to global feature indices', () => {
    const rf = libForest({ minNumSamples: 1 });
    const json = forestToTrees(
      fromMlRandomForest(rf.toJSON(), { classes: [0, 1], featureNames: ['a', 'b', 'c', 'd'] }),
    );
    const lib = rf.toJSON() as unknown as {
      baseModel: { indexes: number[][]; estimators: { root: { splitColumn: number; splitValue: number } }[] };
    };
    json.trees.forEach((t, i) => {
      expect(t.feature[0]).toBe(lib.baseModel.indexes[i]![lib.baseModel.estimators[i]!.root.splitColumn]);
      expect(t.threshold[0]).toBe(lib.baseModel.estimators[i]!.root.splitValue);
    });
  });

  it('regression: the mean over trees equals the library prediction', () => {
    const target = X.map((v) => 3 * v[0]! - 2 * v[2]!);
    const rf = new RandomForestRegression({ nEstimators: 8, seed: 5, noOOB: true, maxFeatures: 0.75 } as never);
    rf.train(X, target);
    const model = fromMlRandomForest(rf.toJSON(), { nFeatures: 4 });
    expect(model.task).toBe('regression');
    const ours = model.predict(matrix) as number[];
    const lib = rf.predict(X);
    for (let i = 0; i < X.length; i++) expect(ours[i]).toBeCloseTo(lib[i]!, 12);
  });
});

describe('parseForestJson', () => {
  const good = forestToTrees(
    fromMlRandomForest(libForest({ maxDepth: 3 }).toJSON(), { classes: [0, 1], featureNames: ['a', 'b', 'c', 'd'] }),
  );

  it('accepts its own output and rejects inconsistent trees with INVALID_INPUT', () => {
    expect(parseForestJson(JSON.parse(JSON.stringify(good)))).toEqual(good);
    const bad = structuredClone(good);
    bad.trees[0]!.left[0] = 99;
    const wrongFeature = structuredClone(good);
    wrongFeature.trees[0]!.feature[0] = 4;
    const shortLeaf = structuredClone(good);
    const leaf = shortLeaf.trees[0]!.feature.indexOf(-1);
    shortLeaf.trees[0]!.value[leaf] = [1];
    for (const b of [bad, wrongFeature, shortLeaf, { ...good, kind: 'other' }]) {
      let err: unknown;
      try {
        parseForestJson(b);
      } catch (e) {
        err = e;
      }
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    }
  });
});
