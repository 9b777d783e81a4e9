import { type Flavor, migrate, saveModelPackage } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, post, type RegistryFixture, registryFixture, signFlavor, uniforms } from './helpers.js';

const signature = {
  inputs: [
    { name: 'a', type: 'float64' as const },
    { name: 'b', type: 'float64' as const },
  ],
  outputs: [{ name: 'label', type: 'string' as const }],
};

/** Deterministic standard normals (mulberry32 + Box-Muller). */
function normals(seed: number, n: number): number[] {
  const u = uniforms(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
}

let fx: RegistryFixture;
let server: ModelServer;
let http: ListeningServer;
let clock = Date.now();

const scrape = async () => (await fetch(`${http.url}/metrics`)).text();
const value = (text: string, re: RegExp): number | undefined => {
  const m = text.match(re);
  return m ? Number(m[1]) : undefined;
};

beforeAll(async () => {
  fx = await registryFixture('serve-monitor-');
  const { store, registry, objects } = fx;
  await registry.createModel({ name: 'sign' });
  const profile = createProfile({ a: normals(1, 500), b: normals(2, 500) });
  const saved = await saveModelPackage({ objects, flavor: signFlavor, model: {}, signature, lineage: {} });
  await registry.createVersion({
    model: 'sign',
    packageDigest: saved.digest,
    flavor: signFlavor.name,
    signature,
    profile: profile as never,
  });
  await registry.setAlias({ model: 'sign', alias: 'production', version: 1 });
  server = createModelServer({
    models: [{ name: 'sign', registry, alias: 'production', objects, flavors: [signFlavor as Flavor<never>] }],
    store,
    defaultMetrics: false,
    monitoring: { refreshMs: 60_000, minSamples: 30, now: () => clock },
  });
  await server.ready();
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
});
afterAll(() => fx?.close(http));

describe('monitoring gauges', () => {
  const ids: { id: string; label: string }[] = [];

  it('shows drift for the shifted feature and not for the unshifted one, refreshed at most once per refreshMs', async () => {
    // Before any prediction: an empty window, no drift gauges.
    const empty = await scrape();
    expect(value(empty, /mlops_monitoring_window_samples\{model="sign",version="1",kind="predictions"\} (\S+)/)).toBe(
      0,
    );
    expect(empty).not.toMatch(/mlops_drift_score\{/);

    // 200 predictions whose `a` is shifted by +3 sd and whose `b` is not.
    const a = normals(3, 200).map((v) => v + 3);
    const b = normals(4, 200);
    for (let i = 0; i < 200; i += 20) {
      const instances = a.slice(i, i + 20).map((ai, j) => ({ a: ai, b: b[i + j]! }));
      const res = await post(`${http.url}/v1/models/sign/predict`, { instances });
      expect(res.status).toBe(200);
      const body = await json(res);
      for (const p of body.predictions) ids.push({ id: p.id, label: p.outputs.label });
    }
    await server.logger!.flush();

    // Within refreshMs the previous evaluation is served (no recomputation per scrape).
    clock += 1000;
    const cached = await scrape();
    expect(value(cached, /mlops_monitoring_window_samples\{model="sign",version="1",kind="predictions"\} (\S+)/)).toBe(
      0,
    );

    clock += 60_000;
    const text = await scrape();
    expect(value(text, /mlops_monitoring_window_samples\{model="sign",version="1",kind="predictions"\} (\S+)/)).toBe(
      200,
    );
    const scoreA = value(text, /mlops_drift_score\{model="sign",version="1",feature="a",test="ks"\} (\S+)/);
    const scoreB = value(text, /mlops_drift_score\{model="sign",version="1",feature="b",test="ks"\} (\S+)/);
    // KS p-values: tiny for the shifted feature, not for the other.
    expect(scoreA).toBeLessThan(1e-6);
    expect(scoreB).toBeGreaterThan(0.05);
    expect(value(text, /mlops_feature_drift_detected\{model="sign",version="1",feature="a"\} (\S+)/)).toBe(1);
    expect(value(text, /mlops_feature_drift_detected\{model="sign",version="1",feature="b"\} (\S+)/)).toBe(0);
    expect(value(text, /mlops_dataset_drift_share\{model="sign",version="1"\} (\S+)/)).toBe(0.5);
    // Evidently's default: the dataset drifts when at least half the features do.
    expect(value(text, /mlops_dataset_drift_detected\{model="sign",version="1"\} (\S+)/)).toBe(1);
    // No feedback yet: no metric gauge.
    expect(text).not.toMatch(/mlops_feedback_metric\{/);
  });

  it('exports accuracy and macro-F1 from feedback recorded through the server', async () => {
    // 40 labels: the first 30 agree with the prediction, the last 10 contradict it.
    const labelled = ids.slice(0, 40);
    for (const [i, p] of labelled.entries()) {
      const label = i < 30 ? p.label : p.label === 'pos' ? 'neg' : 'pos';
      const res = await post(`${http.url}/v1/feedback`, { predictionId: p.id, label });
      expect(res.status).toBe(201);
    }
    clock += 60_000;
    const text = await scrape();
    expect(value(text, /mlops_monitoring_window_samples\{model="sign",version="1",kind="labelled"\} (\S+)/)).toBe(40);
    expect(value(text, /mlops_feedback_metric\{model="sign",version="1",metric="accuracy"\} (\S+)/)).toBeCloseTo(
      0.75,
      10,
    );
    const f1 = value(text, /mlops_feedback_metric\{model="sign",version="1",metric="macroF1"\} (\S+)/);
    expect(f1).toBeGreaterThan(0);
    expect(f1).toBeLessThan(1);
  });

  it('exports the latest retraining decision recorded in core', async () => {
    clock += 60_000;
    expect(await scrape()).not.toMatch(/mlops_retrain_decision\{/);
    // Decisions as a continuous-training policy records them (core's table; serve never imports pipelines).
    await migrate(fx.store, { areas: ['retrain-decisions'] });
    await fx.store.query(
      `INSERT INTO core_retrain_decisions (model, alias, status, triggered, principal, started_at)
       VALUES ('sign', 'production', 'no-action', false, 'ct', '2026-01-01T00:00:00Z'),
              ('sign', 'production', 'promoted', true, 'ct', '2026-01-02T00:00:00Z'),
              ('sign', 'staging', 'failed', true, 'ct', '2026-01-03T00:00:00Z')`,
    );
    clock += 60_000;
    const text = await scrape();
    expect(text).toMatch(
      /mlops_retrain_decision\{model="sign",alias="production",status="promoted",triggered="true"\} 1/,
    );
    expect(text).not.toMatch(/status="no-action"/);
    expect(text).not.toMatch(/alias="staging"/);
    expect(value(text, /mlops_retrain_decision_timestamp_seconds\{model="sign",alias="production"\} (\S+)/)).toBe(
      Date.parse('2026-01-02T00:00:00Z') / 1000,
    );
  });
});
