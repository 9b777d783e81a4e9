import { type Flavor, saveModelPackage } from '@mlops/core';
import { monitoringSettingsTags } from '@mlops/monitoring';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signFlavor as flavor, gauge, post, type RegistryFixture, registryFixture } from './helpers.js';

// The monitoring settings stored with the model version (tag `mlops.monitoring`) win over the server's `monitoring`
// options, which stay the fallback for versions without them; the thresholds in use are gauges with their source.

const signature = {
  inputs: [{ name: 'a', type: 'float64' as const }],
  outputs: [{ name: 'label', type: 'string' as const }],
};

let fx: RegistryFixture;
let server: ModelServer;
let http: ListeningServer;
const errors: string[] = [];

const scrape = async () => (await fetch(`${http.url}/metrics`)).text();

beforeAll(async () => {
  fx = await registryFixture('serve-window-');
  const { store, registry, objects } = fx;
  const saved = await saveModelPackage({ objects, flavor, model: {}, signature, lineage: {} });
  for (const name of ['tagged', 'plain']) {
    await registry.createModel({ name });
    await registry.createVersion({
      model: name,
      packageDigest: saved.digest,
      flavor: flavor.name,
      signature,
      ...(name === 'tagged' ? { tags: monitoringSettingsTags({ windowMs: 60_000, limit: 3 }) } : {}),
    });
    await registry.setAlias({ model: name, alias: 'production', version: 1 });
  }
  const source = (name: string) => ({
    name,
    registry,
    alias: 'production',
    objects,
    flavors: [flavor as Flavor<never>],
  });
  server = createModelServer({
    models: [source('tagged'), source('plain')],
    store,
    defaultMetrics: false,
    monitoring: { refreshMs: 0, minSamples: 1, limit: 10_000, driftShare: 0.4, minimums: { accuracy: 0.7 } },
    onError: (err, c) => errors.push(`${c.where}: ${(err as Error).message}`),
  });
  await server.ready();
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  for (const name of ['tagged', 'plain']) {
    const res = await post(`${http.url}/v1/models/${name}/predict`, { inputs: { a: [1, -1, 2, -2, 3] } });
    expect(res.status).toBe(200);
  }
  await server.logger!.flush();
});
afterAll(() => fx?.close(http));

describe('window settings stored with the model version', () => {
  it('reads limit and window length from the version tag, and the server options otherwise', async () => {
    const text = await scrape();
    const samples = 'mlops_monitoring_window_samples';
    expect(gauge(text, samples, 'model="tagged",version="1",kind="predictions"')).toBe(3);
    expect(gauge(text, samples, 'model="plain",version="1",kind="predictions"')).toBe(5);
    const win = 'mlops_monitoring_window_seconds';
    expect(gauge(text, win, 'model="tagged",version="1",source="version"')).toBe(60);
    // windowMs: stored with the version for `tagged`; neither stored nor in the server's options for `plain`
    expect(gauge(text, win, 'model="plain",version="1",source="default"')).toBe(86_400);
    // limit: the server's option (the caller's default)
    expect(gauge(text, samples, 'model="plain",version="1",kind="predictions"')).toBe(5);
  });

  it('follows a change of the tag, and falls back to the server options (reporting it) when it is invalid', async () => {
    await fx.registry.updateVersion({ model: 'tagged', version: 1, tags: monitoringSettingsTags({ limit: 4 }) });
    let text = await scrape();
    expect(gauge(text, 'mlops_monitoring_window_samples', 'model="tagged",version="1",kind="predictions"')).toBe(4);
    await fx.registry.updateVersion({ model: 'tagged', version: 1, tags: { 'mlops.monitoring': '{"limit": -1}' } });
    text = await scrape();
    expect(gauge(text, 'mlops_monitoring_window_samples', 'model="tagged",version="1",kind="predictions"')).toBe(5);
    expect(gauge(text, 'mlops_monitoring_window_seconds', 'model="tagged",version="1",source="default"')).toBe(86_400);
    expect(errors.some((e) => e.includes('monitoring settings of tagged@1') && e.includes('limit'))).toBe(true);
  });

  it('exports the thresholds in use with their source, so alert rules compare with the stored value', async () => {
    await fx.registry.updateVersion({
      model: 'tagged',
      version: 1,
      tags: monitoringSettingsTags({ minimums: { accuracy: 0.95, macroF1: 0.9 } }),
    });
    const text = await scrape();
    const min = 'mlops_monitoring_metric_minimum';
    expect(gauge(text, min, 'model="tagged",version="1",metric="accuracy",source="version"')).toBe(0.95);
    expect(gauge(text, min, 'model="tagged",version="1",metric="macroF1",source="version"')).toBe(0.9);
    expect(gauge(text, min, 'model="plain",version="1",metric="accuracy",source="caller"')).toBe(0.7);
    expect(gauge(text, min, 'model="plain",version="1",metric="macroF1",source="caller"')).toBeUndefined();
    const share = 'mlops_monitoring_drift_share_threshold';
    expect(gauge(text, share, 'model="tagged",version="1",source="caller"')).toBe(0.4);
  });
});
