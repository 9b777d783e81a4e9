import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Flavor, fsObjectStore, type Store, saveModelPackage } from '@mlops/core';
import { createRegistry, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, post } from './helpers.js';

/** A model `y = k * x` saved as model.json. */
const scaleFlavor: Flavor<{ k: number }> = {
  name: 'test/scale',
  save: async (m) => ({ files: { 'model.json': new TextEncoder().encode(JSON.stringify(m)) } }),
  load: async (files, ctx) => {
    const { k } = JSON.parse(new TextDecoder().decode(files.files['model.json'])) as { k: number };
    return {
      signature: ctx.signature,
      batchable: true,
      predict: async (inputs) => ({
        y: Float64Array.from((inputs as Record<string, Float64Array>).x!, (v) => k * v),
      }),
    };
  },
};
const signature = {
  inputs: [{ name: 'x', type: 'float64' as const }],
  outputs: [{ name: 'y', type: 'float64' as const }],
};

let store: Store;
let registry: Registry;
let dir: string;
let http: ListeningServer;

beforeAll(async () => {
  store = await createStore('memory://');
  dir = await mkdtemp(join(tmpdir(), 'serve-swap-'));
  const objects = fsObjectStore({ dir });
  registry = await createRegistry({ store });
  await registry.createModel({ name: 'scale' });
  for (const k of [1, 10]) {
    const saved = await saveModelPackage({ objects, flavor: scaleFlavor, model: { k }, signature, lineage: {} });
    await registry.createVersion({ model: 'scale', packageDigest: saved.digest, flavor: scaleFlavor.name, signature });
  }
  await registry.setAlias({ model: 'scale', alias: 'production', version: 1 });
  const server = createModelServer({
    models: [{ name: 'scale', registry, alias: 'production', objects, flavors: [scaleFlavor as Flavor<never>] }],
    store,
    defaultMetrics: false,
  });
  await server.ready();
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
});
afterAll(async () => {
  await http?.close();
  await registry?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('following a registry alias', () => {
  it('hot-swaps v1 → v2 → rollback under steady load with zero failed requests', async () => {
    const statuses: number[] = [];
    const seen: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const res = await post(`${http.url}/v1/models/scale/predict`, { instances: [{ x: 2 }] });
        statuses.push(res.status);
        const body = await json(res);
        if (res.status === 200) {
          const y = body.predictions[0].outputs.y;
          // The answer always matches the version that claims it.
          expect(y).toBe(body.version === '1' ? 2 : 20);
          if (seen.at(-1) !== body.version) seen.push(body.version);
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const waitFor = async (version: string) => {
      const end = Date.now() + 20_000;
      while (seen.at(-1) !== version) {
        if (Date.now() > end) throw new Error(`version ${version} never served`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor('1');
      await registry.setAlias({ model: 'scale', alias: 'production', version: 2 });
      await waitFor('2');
      await registry.rollback({ model: 'scale', alias: 'production' });
      await waitFor('1');
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(seen).toEqual(['1', '2', '1']);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const text = await (await fetch(`${http.url}/metrics`)).text();
    expect(text).toMatch(/mlops_model_swaps_total\{model="scale"\} 2/);
    expect(text).toMatch(/mlops_model_info\{model="scale",version="1",alias="production",role="primary"\} 1/);
  });
});
