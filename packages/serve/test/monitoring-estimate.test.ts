// Estimated performance on /metrics: a registry-served classifier whose outputs include class probabilities and
// whose model package stores a calibrator (`mlops.calibrator` metadata). A real server is scraped: the estimated
// gauges (CBPE, no labels needed) are there before any feedback, computed with the calibrator, and the realized
// metric from feedback appears beside them once labels arrive.
import { type Flavor, saveModelPackage } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { calibratorMetadata, estimatePerformance, fitCalibrator } from '@mlops/monitoring';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, post, type RegistryFixture, registryFixture, uniforms } from './helpers.js';

const classes = ['neg', 'pos'];
/** The true P(pos | a), and the model's over-confident version of it. */
const trueP = (a: number) => 1 / (1 + Math.exp(-a));
const shownP = (a: number) => 1 / (1 + Math.exp(-4 * a));

const confident: Flavor<Record<string, never>> = {
  name: 'test/overconfident',
  save: async () => ({ files: { 'model.json': new TextEncoder().encode('{}') } }),
  load: async (_files, ctx) => ({
    signature: ctx.signature,
    batchable: true,
    predict: async (inputs) => {
      const a = Array.from((inputs as Record<string, Float64Array>).a!);
      return {
        label: a.map((v) => (v > 0 ? 'pos' : 'neg')),
        probabilities: a.map((v) => [1 - shownP(v), shownP(v)]),
      };
    },
  }),
};
const signature = {
  inputs: [{ name: 'a', type: 'float64' as const }],
  outputs: [
    { name: 'label', type: 'string' as const },
    { name: 'probabilities', type: 'float64' as const, shape: [2] },
  ],
};

const inputs = (seed: number, n: number) => {
  const u = uniforms(seed);
  return Array.from({ length: n }, () => 6 * u() - 3);
};
const truth = (a: number[], seed: number) => {
  const u = uniforms(seed);
  return a.map((v) => (u() < trueP(v) ? 'pos' : 'neg'));
};

let fx: RegistryFixture;
let server: ModelServer;
let http: ListeningServer;
let clock = Date.now();
const calibrator = (() => {
  const held = inputs(1, 2000);
  return fitCalibrator(
    held.map((v) => [1 - shownP(v), shownP(v)]),
    truth(held, 2),
    { classes },
  );
})();

const scrape = async () => (await fetch(`${http.url}/metrics`)).text();
const value = (text: string, name: string, extra = ''): number | undefined => {
  const m = text.match(new RegExp(`${name}\\{model="clf",version="1"${extra}\\} (\\S+)`));
  return m ? Number(m[1]) : undefined;
};

beforeAll(async () => {
  fx = await registryFixture('serve-estimate-');
  const { store, registry, objects } = fx;
  await registry.createModel({ name: 'clf' });
  const saved = await saveModelPackage({
    objects,
    flavor: confident,
    model: {},
    signature,
    lineage: {},
    metadata: calibratorMetadata(calibrator),
  });
  await registry.createVersion({
    model: 'clf',
    packageDigest: saved.digest,
    flavor: confident.name,
    signature,
    profile: createProfile({ a: inputs(3, 500) }) as never,
  });
  await registry.setAlias({ model: 'clf', alias: 'production', version: 1 });
  server = createModelServer({
    models: [{ name: 'clf', registry, alias: 'production', objects, flavors: [confident as Flavor<never>] }],
    store,
    defaultMetrics: false,
    monitoring: { refreshMs: 60_000, minSamples: 30, estimatedMinimums: { accuracy: 0.9 }, now: () => clock },
  });
  await server.ready();
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
});
afterAll(() => fx?.close(http));

describe('estimated performance gauges', () => {
  const live = inputs(4, 400);
  const ids: string[] = [];

  it('exports the calibrated estimate beside no realized metric while labels are missing', async () => {
    for (let i = 0; i < live.length; i += 50) {
      const res = await post(`${http.url}/v1/models/clf/predict`, {
        instances: live.slice(i, i + 50).map((a) => ({ a })),
      });
      expect(res.status).toBe(200);
      for (const p of (await json(res)).predictions) ids.push(p.id);
    }
    await server.logger!.flush();
    clock += 120_000;
    const text = await scrape();
    const probabilities = live.map((v) => [1 - shownP(v), shownP(v)]);
    const expected = estimatePerformance({ probabilities, classes, calibrator });
    const raw = estimatePerformance({ probabilities, classes });
    const estimated = value(text, 'mlops_estimated_accuracy');
    expect(estimated).toBeCloseTo(expected.accuracy.estimate, 10);
    // calibrated: the over-confident probabilities alone would say much more
    expect(raw.accuracy.estimate - expected.accuracy.estimate).toBeGreaterThan(0.05);
    expect(value(text, 'mlops_estimated_accuracy_lower')).toBeCloseTo(expected.accuracy.lower, 10);
    expect(value(text, 'mlops_estimated_accuracy_upper')).toBeCloseTo(expected.accuracy.upper, 10);
    expect(value(text, 'mlops_estimated_macro_f1')).toBeCloseTo(expected.macroF1.estimate, 10);
    expect(value(text, 'mlops_estimated_macro_f1_lower')).toBeGreaterThan(0);
    expect(value(text, 'mlops_estimated_macro_f1_upper')).toBeLessThanOrEqual(1);
    expect(value(text, 'mlops_monitoring_estimated_minimum', ',metric="accuracy",source="caller"')).toBe(0.9);
    expect(text).not.toMatch(/mlops_feedback_metric\{model="clf"/);
  });

  it('shows the realized accuracy beside the estimate once feedback arrives', async () => {
    const labels = truth(live, 5);
    for (const [i, id] of ids.entries()) {
      const res = await post(`${http.url}/v1/feedback`, { predictionId: id, label: labels[i] });
      expect(res.status).toBeLessThan(300);
    }
    clock += 120_000;
    const text = await scrape();
    const realized = value(text, 'mlops_feedback_metric', ',metric="accuracy"');
    const estimated = value(text, 'mlops_estimated_accuracy');
    const predicted = live.map((v) => (v > 0 ? 'pos' : 'neg'));
    expect(realized).toBeCloseTo(predicted.filter((p, i) => p === labels[i]).length / live.length, 10);
    expect(estimated).toBeDefined();
    // 400 predictions: the calibrated estimate is within a few points of what the labels show
    expect(Math.abs(estimated! - realized!)).toBeLessThan(0.06);
  });
});
