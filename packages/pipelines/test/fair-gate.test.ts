// Fair gates (issue 20): the continuous-training gate compares the candidate and the incumbent ON THE SAME DATA —
// the recent labelled window of the prediction log, or a held-out set the retraining kept aside — both models loaded
// through their flavor from their model packages, never the candidate's fresh figure against the incumbent's
// registered one.
import { type FsObjectStore, loadModelPackage, type Predictor, type Store } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { linearFlavor } from '@mlops/plugin-linear';
import type { Gate, Registry } from '@mlops/registry';
import { describe, expect, it, vi } from 'vitest';
import { type Data, logTraffic, makeData, saveLinearModel, usePolicyFixture } from './helpers.js';

let store: Store;
let objects: FsObjectStore;
let registry: Registry;

usePolicyFixture('mlops-fair-gate-', (fx) => {
  ({ store, objects, registry } = fx);
});

const accuracyOn = async (predictor: Predictor, d: Data) => {
  const out = Array.from((await predictor.predict({ x1: d.x1, x2: d.x2 })).label as ArrayLike<string>);
  return out.filter((p, i) => p === d.y[i]).length / d.y.length;
};

/**
 * Trains on `train` and registers a version whose registered metrics are `registered` (figures measured elsewhere,
 * e.g. on another period's held-out set: what the gate must NOT compare across models).
 */
async function register(model: string, train: Data, registered: Record<string, number>) {
  const digest = await saveLinearModel(objects, store, train);
  const { predictor } = await loadModelPackage({ objects, digest, flavors: [linearFlavor()] });
  const v = await registry.createVersion({
    model,
    packageDigest: digest,
    flavor: 'mlops.linear',
    metrics: registered,
    profile: createProfile({ x1: train.x1, x2: train.x2 }),
  });
  return { version: v.version, predictor };
}

const gate: Gate = {
  all: [
    { metric: 'accuracy', op: 'gte', value: 0.5 },
    { metric: 'accuracy', notWorseThanIncumbentBy: 0.02, direction: 'max' },
  ],
};

const production = async (model: string) => (await registry.resolve({ model, alias: 'production' })).version;
const promotionOf = async (decision: { model: string; promotionDecisionId: number | null }) =>
  (await registry.listDecisions({ model: decision.model })).items.find((d) => d.id === decision.promotionDecisionId)!;

describe('fair gate: candidate and incumbent compared on the same data', () => {
  it('a candidate worse on the same labelled window is rejected, even though its registered figure beats the incumbent’s registered one', async () => {
    const model = 'fair-window';
    await registry.createModel({ name: model });
    // The incumbent fits today's traffic well; its registered accuracy (0.6) was measured on some older, harder set.
    const v1 = await register(model, makeData(400, 1), { accuracy: 0.6 });
    await registry.promote({ model, version: v1.version, alias: 'production' });
    const window = makeData(200, 2);
    await logTraffic(store, model, v1.version, v1.predictor, window);
    const incumbentOnWindow = await accuracyOn(v1.predictor, window);
    expect(incumbentOnWindow).toBeGreaterThan(0.9);

    let candidateOnWindow = Number.NaN;
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      gate,
      compare: { objects, flavors: [linearFlavor()] },
      // A retraining gone wrong: fitted on a period whose boundary sat elsewhere. It registers a flattering 0.9.
      retrain: async () => {
        const c = await register(model, makeData(400, 3, 1.5), { accuracy: 0.9 });
        candidateOnWindow = await accuracyOn(c.predictor, window);
        return { version: c.version };
      },
    });
    const decision = await policy.runOnce({ force: true, reason: 'test' });
    expect(candidateOnWindow).toBeLessThan(0.75);
    // Registered figures: 0.9 ≥ 0.6 − 0.02 would pass. On the same window: candidate ≈ 0.6 < incumbent ≈ 0.97 − 0.02.
    expect(decision.status).toBe('rejected');
    expect(await production(model)).toBe(v1.version);

    // The decision records both models' figures on the same data, and which data it was.
    const c = decision.evaluation!.comparison!;
    expect(c.data).toMatchObject({ source: 'window', rows: 200 });
    expect(c.data.name).toMatch(/window/);
    expect(c.data.from).toBe(decision.evaluation!.window.from);
    expect(c.data.to).toBe(decision.evaluation!.window.to);
    expect(c.incumbent!.version).toBe(v1.version);
    expect(c.candidate.version).toBe(decision.candidateVersion);
    expect(c.incumbent!.metrics.accuracy).toBeCloseTo(incumbentOnWindow, 10);
    expect(c.candidate.metrics.accuracy).toBeCloseTo(candidateOnWindow, 10);

    // The registry's decision compared those figures, and says on what.
    const promotion = await promotionOf(decision);
    expect(promotion.passed).toBe(false);
    expect(promotion.evidence.comparison).toMatchObject({ data: { source: 'window', rows: 200 } });
    const relative = (promotion.evidence.result as { children: Record<string, unknown>[] }).children[1]!;
    expect(relative).toMatchObject({ gate: 'notWorseThanIncumbent', passed: false });
    expect(relative.candidate).toBeCloseTo(candidateOnWindow, 10);
    expect(relative.incumbent).toBeCloseTo(incumbentOnWindow, 10);
    expect(decision.error).toMatch(/gate/);
  });

  it('a held-out set the retraining returns is the data both are measured on: a candidate better there is promoted although its registered figure is lower', async () => {
    const model = 'fair-holdout';
    await registry.createModel({ name: model });
    const v1 = await register(model, makeData(400, 11), { accuracy: 0.99 });
    await registry.promote({ model, version: v1.version, alias: 'production' });
    const holdout = makeData(300, 12, 1.5); // the world moved: the boundary sits at 1.5 now
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      gate,
      compare: { objects, flavors: [linearFlavor()] },
      retrain: async () => {
        const c = await register(model, makeData(400, 13, 1.5), { accuracy: 0.8 });
        return {
          version: c.version,
          holdout: {
            name: 'synthetic holdout after the shift',
            inputs: { x1: holdout.x1, x2: holdout.x2 },
            labels: holdout.y,
            datasetVersion: 'synthetic@12',
            from: '2026-01-01T00:00:00.000Z',
            to: '2026-01-02T00:00:00.000Z',
          },
        };
      },
    });
    const decision = await policy.runOnce({ force: true });
    expect(decision.status).toBe('promoted');
    expect(await production(model)).toBe(decision.candidateVersion);
    const c = decision.evaluation!.comparison!;
    expect(c.data).toEqual({
      source: 'holdout',
      name: 'synthetic holdout after the shift',
      rows: 300,
      datasetVersion: 'synthetic@12',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
    });
    expect(c.candidate.metrics.accuracy).toBeGreaterThan(c.incumbent!.metrics.accuracy! + 0.02);
    expect(c.candidate.metrics.macroF1).toBeTypeOf('number');
    const promotion = await promotionOf(decision);
    expect(promotion.passed).toBe(true);
    expect(promotion.evidence.comparison).toMatchObject({ data: { name: 'synthetic holdout after the shift' } });
  });

  it('too few labelled predictions in the window: nothing is promoted, and the decision says why', async () => {
    const model = 'fair-unlabelled';
    await registry.createModel({ name: model });
    const v1 = await register(model, makeData(400, 21), { accuracy: 0.6 });
    await registry.promote({ model, version: v1.version, alias: 'production' });
    await logTraffic(store, model, v1.version, v1.predictor, makeData(200, 22), false); // no feedback yet
    await logTraffic(store, model, v1.version, v1.predictor, makeData(10, 23), true); // 10 labels < minSamples 30
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      gate,
      compare: { objects, flavors: [linearFlavor()] },
      retrain: async () => ({ version: (await register(model, makeData(400, 24), { accuracy: 0.95 })).version }),
    });
    const decision = await policy.runOnce({ force: true });
    expect(decision.status).toBe('failed');
    expect(decision.error).toMatch(/10 labelled/);
    expect(decision.error).toMatch(/same data/);
    expect(await production(model)).toBe(v1.version);
  });

  it('the metrics measured can be named as the gate names them, and computed by the caller (scores, thresholds)', async () => {
    const model = 'fair-metrics';
    await registry.createModel({ name: model });
    const v1 = await register(model, makeData(400, 31), { hit_rate: 0.5 });
    await registry.promote({ model, version: v1.version, alias: 'production' });
    await logTraffic(store, model, v1.version, v1.predictor, makeData(100, 32));
    const seen: { role: string; version: number; rows: number }[] = [];
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      gate: { metric: 'hit_rate', notWorseThanIncumbentBy: 0, direction: 'max' },
      compare: {
        objects,
        flavors: [linearFlavor()],
        metrics: ({ outputs, labels, role, version }) => {
          const predicted = Array.from(outputs.label as ArrayLike<string>);
          seen.push({ role, version: version.version, rows: labels.length });
          return { hit_rate: predicted.filter((p, i) => p === labels[i]).length / labels.length };
        },
      },
      // The same training data: an identical model, so it is not worse on the same window.
      retrain: async () => ({ version: (await register(model, makeData(400, 31), { hit_rate: 0.1 })).version }),
    });
    const decision = await policy.runOnce({ force: true });
    expect(decision.status).toBe('promoted');
    expect(seen.map((s) => [s.role, s.rows])).toEqual([
      ['candidate', 100],
      ['incumbent', 100],
    ]);
    const c = decision.evaluation!.comparison!;
    expect(Object.keys(c.candidate.metrics)).toEqual(['hit_rate']);
    expect(c.candidate.metrics.hit_rate).toBe(c.incumbent!.metrics.hit_rate);
  });
  it('without compare, the gate reads the registered metrics as before: the decision says so (comparison null) and a relative gate warns once', async () => {
    const model = 'fair-legacy';
    await registry.createModel({ name: model });
    const v1 = await register(model, makeData(400, 41), { accuracy: 0.6 });
    await registry.promote({ model, version: v1.version, alias: 'production' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const policy = createContinuousTrainingPolicy({
        store,
        registry,
        model,
        triggers: {},
        gate,
        retrain: async () => ({ version: (await register(model, makeData(400, 42), { accuracy: 0.9 })).version }),
      });
      const first = await policy.runOnce({ force: true });
      expect(first.status).toBe('promoted');
      expect(first.evaluation!.comparison).toBeNull();
      expect((await promotionOf(first)).evidence.comparison).toBeUndefined();
      await policy.runOnce({ force: true });
      const unfair = warn.mock.calls.filter((c) => String(c[0]).includes('measured on different data'));
      expect(unfair).toHaveLength(1);
      expect(String(unfair[0]![0])).toContain(`${model}@production`);
    } finally {
      warn.mockRestore();
    }
  });
});
