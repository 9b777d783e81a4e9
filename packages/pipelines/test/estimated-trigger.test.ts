// The 'estimated-performance' trigger: while labels are missing, a window whose accuracy estimated from the logged
// class probabilities (CBPE, calibrated with the calibrator stored in the incumbent's model package) is below
// monitoring's `estimatedMinimums` retrains; once enough labels arrive, the realized metric decides instead.
import { type Flavor, type FsObjectStore, type Store, saveModelPackage } from '@mlops/core';
import { createPredictionLogger, readPredictions, recordFeedback } from '@mlops/core/predictions';
import { createProfile } from '@mlops/drift';
import { calibratorMetadata, fitCalibrator } from '@mlops/monitoring';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import type { Registry } from '@mlops/registry';
import { describe, expect, it } from 'vitest';
import { mulberry32, usePolicyFixture } from './helpers.js';

let store: Store;
let objects: FsObjectStore;
let registry: Registry;

const noop: Flavor<Record<string, never>> = {
  name: 'test/noop',
  save: async () => ({ files: { 'model.json': new TextEncoder().encode('{}') } }),
  load: async (_f, ctx) => ({ signature: ctx.signature, batchable: true, predict: async () => ({}) }),
};
const signature = {
  inputs: [{ name: 'a', type: 'float64' as const }],
  outputs: [{ name: 'label', type: 'string' as const }],
};
const inputs = (seed: number, n: number, width = 3) => {
  const u = mulberry32(seed);
  return Array.from({ length: n }, () => width * (2 * u() - 1));
};
/** The model says P(pos) = sigmoid(4a); the truth is sigmoid(a): over-confident. */
const shown = (a: number) => 1 / (1 + Math.exp(-4 * a));
const truth = (a: number[], seed: number) => {
  const u = mulberry32(seed);
  return a.map((v) => (u() < 1 / (1 + Math.exp(-v)) ? 'pos' : 'neg'));
};
const probs = (a: number[]) => a.map((v) => [1 - shown(v), shown(v)]);

usePolicyFixture('mlops-est-', (fx) => {
  ({ store, objects, registry } = fx);
});

async function registerModel(model: string) {
  const held = inputs(1, 2000);
  const calibrator = fitCalibrator(probs(held), truth(held, 2), { classes: ['neg', 'pos'] });
  const { digest } = await saveModelPackage({
    objects,
    flavor: noop,
    model: {},
    signature,
    lineage: {},
    metadata: calibratorMetadata(calibrator),
  });
  await registry.createModel({ name: model });
  const v = await registry.createVersion({
    model,
    packageDigest: digest,
    flavor: noop.name,
    profile: createProfile({ a: inputs(3, 500) }),
  });
  await registry.setAlias({ model, alias: 'production', version: v.version });
  return { digest, version: v.version };
}

async function log(model: string, a: number[]) {
  const logger = createPredictionLogger({ store, flushIntervalMs: 50 });
  const { ids } = logger.logBatch({
    requestId: `req-${model}-${a.length}-${a[0]}`,
    model,
    version: '1',
    alias: 'production',
    inputs: { a },
    outputs: { label: a.map((v) => (v > 0 ? 'pos' : 'neg')), probabilities: probs(a) },
  });
  await logger.close();
  return ids;
}

const policyOf = (model: string, retrained: string[]) =>
  createContinuousTrainingPolicy({
    store,
    registry,
    objects,
    model,
    triggers: { estimatedPerformance: true, performance: true },
    monitoring: { minSamples: 30, estimatedMinimums: { accuracy: 0.75 }, minimums: { accuracy: 0.5 } },
    retrain: async (ctx) => {
      retrained.push(ctx.reasons.map((r) => r.trigger).join(','));
      const incumbent = await registry.getVersion({ model, version: 1 });
      const v = await registry.createVersion({ model, packageDigest: incumbent.packageDigest, flavor: noop.name });
      return { version: v.version };
    },
  });

describe("continuous training: the 'estimated-performance' trigger", () => {
  it('retrains on a window whose calibrated estimated accuracy is below the minimum while no label arrived', async () => {
    await registerModel('est');
    // Inputs near the boundary: hard rows, the model is right ~60 % of the time but claims ~80 %.
    const a = inputs(4, 300, 0.8);
    await log('est', a);
    expect((await readPredictions({ store, model: 'est', limit: 1000 }))[0]!.outputs?.probabilities).toHaveLength(2);
    const retrained: string[] = [];
    const policy = policyOf('est', retrained);
    const evaluation = await policy.evaluate();
    expect(evaluation.performance).toBeNull();
    expect(evaluation.monitoring.estimate?.calibration).not.toBe('none');
    expect(evaluation.monitoring.estimate!.accuracy.estimate).toBeLessThan(0.75);
    expect(evaluation.reasons.map((r) => r.trigger)).toEqual(['estimated-performance']);
    expect(evaluation.triggered).toBe(true);
    const decision = await policy.runOnce();
    expect(decision.status).toBe('promoted');
    expect(decision.reasons.map((r) => r.trigger)).toEqual(['estimated-performance']);
    expect(retrained).toEqual(['estimated-performance']);
  });

  it('leaves the decision to the realized metric once enough labels arrived', async () => {
    await registerModel('est2');
    const a = inputs(5, 300, 0.8);
    const ids = await log('est2', a);
    const labels = truth(a, 6);
    for (const [i, id] of ids.entries()) await recordFeedback({ store, predictionId: id, label: labels[i] });
    const retrained: string[] = [];
    const evaluation = await policyOf('est2', retrained).evaluate();
    expect(evaluation.performance?.sufficient).toBe(true);
    // the estimate still crosses its minimum, but with labels the realized accuracy (above 0.5) decides
    expect(evaluation.monitoring.crossings.some((c) => c.kind === 'estimated-minimum')).toBe(true);
    expect(evaluation.performance!.metrics.accuracy).toBeGreaterThan(0.5);
    expect(evaluation.reasons).toEqual([]);
    expect(evaluation.triggered).toBe(false);
  });
});
