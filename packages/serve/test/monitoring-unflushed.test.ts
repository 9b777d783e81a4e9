import { type Flavor, saveModelPackage } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, post, type RegistryFixture, registryFixture, signFlavor, uniforms } from './helpers.js';

// The monitoring gauges read the prediction log: a scrape must count the predictions still in the logger's buffer
// (seen in the tutorial: 451 of 601 labelled predictions, and macro-F1 0.58 instead of 0.73, cached for a minute).

const signature = {
  inputs: [
    { name: 'a', type: 'float64' as const },
    { name: 'b', type: 'float64' as const },
  ],
  outputs: [{ name: 'label', type: 'string' as const }],
};

let fx: RegistryFixture;
let server: ModelServer;
let http: ListeningServer;

beforeAll(async () => {
  fx = await registryFixture('serve-monitor-unflushed-');
  const { store, registry, objects } = fx;
  const u = uniforms(7);
  await registry.createModel({ name: 'sign' });
  const saved = await saveModelPackage({ objects, flavor: signFlavor, model: {}, signature, lineage: {} });
  await registry.createVersion({
    model: 'sign',
    packageDigest: saved.digest,
    flavor: signFlavor.name,
    signature,
    profile: createProfile({
      a: Array.from({ length: 300 }, () => u() - 0.5),
      b: Array.from({ length: 300 }, () => u() - 0.5),
    }) as never,
  });
  await registry.setAlias({ model: 'sign', alias: 'production', version: 1 });
  server = createModelServer({
    models: [{ name: 'sign', registry, alias: 'production', objects, flavors: [signFlavor as Flavor<never>] }],
    store,
    defaultMetrics: false,
    // Rows stay in the logger's buffer: far fewer than a batch, and no timed flush during the test.
    logging: { flushIntervalMs: 600_000 },
    monitoring: { refreshMs: 60_000, minSamples: 10 },
  });
  await server.ready();
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
});
afterAll(() => fx?.close(http));

it('counts the predictions the logger has not written yet when /metrics is scraped', async () => {
  const u = uniforms(8);
  const ids: { id: string; label: string }[] = [];
  for (let i = 0; i < 5; i++) {
    const instances = Array.from({ length: 10 }, () => ({ a: u() - 0.5, b: u() - 0.5 }));
    const res = await post(`${http.url}/v1/models/sign/predict`, { instances });
    expect(res.status).toBe(200);
    for (const p of (await json(res)).predictions) ids.push({ id: p.id, label: p.outputs.label });
  }
  for (const p of ids.slice(0, 20)) {
    expect((await post(`${http.url}/v1/feedback`, { predictionId: p.id, label: p.label })).status).toBe(201);
  }
  expect(server.logger!.stats().written).toBe(0); // still buffered
  const text = await (await fetch(`${http.url}/metrics`)).text();
  expect(text).toMatch(/mlops_monitoring_window_samples\{model="sign",version="1",kind="predictions"\} 50\n/);
  expect(text).toMatch(/mlops_monitoring_window_samples\{model="sign",version="1",kind="labelled"\} 20\n/);
  expect(text).toMatch(/mlops_feedback_metric\{model="sign",version="1",metric="accuracy"\} 1\n/);
});
