import { type Flavor, saveModelPackage } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signFlavor as flavor, gauge, post, type RegistryFixture, registryFixture } from './helpers.js';

// Issue 20: a window whose feed is broken is its own verdict on /metrics (mlops_feed_broken 1), never read as "no
// drift" — before, serve passed only the reference features seen in the logged inputs, so a reference feature that
// never arrives was silently dropped, and a window with no input column in the reference exported nothing.

const signature = {
  inputs: [
    { name: 'a', type: 'float64' as const },
    { name: 'b', type: 'float64' as const },
  ],
  outputs: [{ name: 'label', type: 'string' as const }],
};
const spread = (n: number, k = 0) => Array.from({ length: n }, (_, i) => ((i * 37 + k) % 100) / 50 - 1);

let fx: RegistryFixture;
let server: ModelServer;
let http: ListeningServer;

const scrape = async () => (await fetch(`${http.url}/metrics`)).text();

beforeAll(async () => {
  fx = await registryFixture('serve-broken-');
  const { store, registry, objects } = fx;
  const saved = await saveModelPackage({ objects, flavor, model: {}, signature, lineage: {} });
  const profiles = {
    // The reference has a feature `c` that the served signature dropped: it never arrives.
    renamed: createProfile({ a: spread(300), b: spread(300, 7), c: spread(300, 13) }),
    // The reference was profiled on other columns altogether: no input column of the window is in it.
    foreign: createProfile({ x: spread(300), y: spread(300, 7) }),
    // A healthy feed, for contrast.
    healthy: createProfile({ a: spread(300), b: spread(300, 7) }),
  };
  for (const [name, profile] of Object.entries(profiles)) {
    await registry.createModel({ name });
    await registry.createVersion({ model: name, packageDigest: saved.digest, flavor: flavor.name, signature, profile });
    await registry.setAlias({ model: name, alias: 'production', version: 1 });
  }
  server = createModelServer({
    models: Object.keys(profiles).map((name) => ({
      name,
      registry,
      alias: 'production',
      objects,
      flavors: [flavor as Flavor<never>],
    })),
    store,
    defaultMetrics: false,
    monitoring: { refreshMs: 0, minSamples: 30 },
  });
  await server.ready();
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const a = spread(60, 3);
  const b = spread(60, 11);
  for (const name of Object.keys(profiles)) {
    const res = await post(`${http.url}/v1/models/${name}/predict`, { inputs: { a, b } });
    expect(res.status).toBe(200);
  }
  await server.logger!.flush();
});
afterAll(() => fx?.close(http));

describe('a broken feed on /metrics', () => {
  it('a reference feature missing from every logged input: feed broken, no dataset drift verdict', async () => {
    const text = await scrape();
    expect(gauge(text, 'mlops_feed_broken', 'model="renamed",version="1"')).toBe(1);
    expect(gauge(text, 'mlops_feed_schema_problems', 'model="renamed",version="1",problem="missing"')).toBe(1);
    expect(gauge(text, 'mlops_monitoring_status', 'model="renamed",version="1",status="broken"')).toBe(1);
    // Not "no drift": the dataset verdict is absent, not 0.
    expect(gauge(text, 'mlops_dataset_drift_detected', 'model="renamed",version="1"')).toBeUndefined();
    // The features that did arrive are still tested.
    expect(gauge(text, 'mlops_feature_drift_detected', 'model="renamed",version="1",feature="a"')).toBe(0);
  });

  it('no input column of the window in the reference profile: feed broken, not a silent skip', async () => {
    const text = await scrape();
    expect(gauge(text, 'mlops_feed_broken', 'model="foreign",version="1"')).toBe(1);
    expect(gauge(text, 'mlops_feed_schema_problems', 'model="foreign",version="1",problem="missing"')).toBe(2);
    expect(gauge(text, 'mlops_feed_schema_problems', 'model="foreign",version="1",problem="new"')).toBe(2);
    expect(gauge(text, 'mlops_dataset_drift_detected', 'model="foreign",version="1"')).toBeUndefined();
  });

  it('a healthy feed: feed_broken 0 beside its dataset verdict', async () => {
    const text = await scrape();
    expect(gauge(text, 'mlops_feed_broken', 'model="healthy",version="1"')).toBe(0);
    expect(gauge(text, 'mlops_dataset_drift_detected', 'model="healthy",version="1"')).toBe(0);
    expect(gauge(text, 'mlops_monitoring_status', 'model="healthy",version="1",status="ok"')).toBe(1);
    expect(gauge(text, 'mlops_feature_missing_rate', 'model="healthy",version="1",feature="a"')).toBe(0);
  });
});
