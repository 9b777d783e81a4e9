import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Flavor, fsObjectStore, type Store, saveModelPackage } from '@mlops/core';
import { readPredictions } from '@mlops/core/predictions';
import { createRegistry, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { json, post } from './helpers.js';

/** A model `y = k * x` saved as model.json; `k: null` is a model whose predictions always fail. */
const scaleFlavor: Flavor<{ k: number | null }> = {
  name: 'test/scale',
  save: async (m) => ({ files: { 'model.json': new TextEncoder().encode(JSON.stringify(m)) } }),
  load: async (files, ctx) => {
    const { k } = JSON.parse(new TextDecoder().decode(files.files['model.json'])) as { k: number | null };
    return {
      signature: ctx.signature,
      batchable: true,
      predict: async (inputs) => {
        if (k === null) throw new Error('broken candidate');
        return { y: Float64Array.from((inputs as Record<string, Float64Array>).x!, (v) => k * v) };
      },
    };
  },
};
const signature = {
  inputs: [{ name: 'x', type: 'float64' as const }],
  outputs: [{ name: 'y', type: 'float64' as const }],
};
const K: Record<string, number | null> = { '1': 1, '2': 10, '3': 100, '4': null };

let store: Store;
let registry: Registry;
let dir: string;
let server: ModelServer;
let http: ListeningServer;
const errors: { err: unknown; where: string | undefined }[] = [];

beforeAll(async () => {
  store = await createStore('memory://');
  dir = await mkdtemp(join(tmpdir(), 'serve-canary-'));
  const objects = fsObjectStore({ dir });
  registry = await createRegistry({ store });
  await registry.createModel({ name: 'scale' });
  for (const k of [1, 10, 100, null]) {
    const saved = await saveModelPackage({ objects, flavor: scaleFlavor, model: { k }, signature, lineage: {} });
    await registry.createVersion({ model: 'scale', packageDigest: saved.digest, flavor: scaleFlavor.name, signature });
  }
  await registry.setAlias({ model: 'scale', alias: 'production', version: 1 });
  await registry.setAlias({ model: 'scale', alias: 'canary', version: 2 });
  await registry.setAlias({ model: 'scale', alias: 'candidate', version: 3 });
  await registry.setAlias({ model: 'scale', alias: 'broken', version: 4 });
  const flavors = [scaleFlavor as Flavor<never>];
  server = createModelServer({
    models: [
      {
        name: 'split',
        model: 'scale',
        registry,
        alias: 'production',
        canary: { alias: 'canary', share: 0.3 },
        objects,
        flavors,
      },
      {
        name: 'mirrored',
        model: 'scale',
        registry,
        alias: 'production',
        shadow: { alias: 'candidate' },
        objects,
        flavors,
      },
      { name: 'failing', model: 'scale', registry, alias: 'production', shadow: { alias: 'broken' }, objects, flavors },
    ],
    store,
    defaultMetrics: false,
    monitoring: false,
    onError: (err, c) => errors.push({ err, where: c.where }),
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

describe('canary', () => {
  it('sends about `share` of the requests to the canary version and says which version answered', async () => {
    const n = 400;
    const versions: string[] = [];
    for (let batch = 0; batch < n / 20; batch++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const x = batch * 20 + i + 1;
          const res = await post(`${http.url}/v1/models/split/predict`, { instances: [{ x }] });
          expect(res.status).toBe(200);
          const body = await json(res);
          // The answer matches the version that claims it.
          expect(body.predictions[0].outputs.y).toBe(K[body.version]! * x);
          return body.version as string;
        }),
      );
      versions.push(...results);
    }
    expect(new Set(versions)).toEqual(new Set(['1', '2']));
    const canary = versions.filter((v) => v === '2').length;
    // Binomial(400, 0.3): mean 120, sd ≈ 9.2; ±5 sd.
    expect(canary).toBeGreaterThanOrEqual(74);
    expect(canary).toBeLessThanOrEqual(166);

    // The v2 protocol reports the version too, and a request pinned to the canary version goes there.
    const v2 = await post(`${http.url}/v2/models/split/versions/2/infer`, {
      inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [3] }],
    });
    expect(v2.status).toBe(200);
    const v2body = await json(v2);
    expect(v2body.model_version).toBe('2');
    expect(v2body.outputs[0].data).toEqual([30]);

    const text = await (await fetch(`${http.url}/metrics`)).text();
    expect(text).toMatch(/mlops_model_info\{model="split",version="2",alias="canary",role="canary"\} 1/);
    expect(text).toMatch(/mlops_model_info\{model="split",version="1",alias="production",role="primary"\} 1/);
  });
});

describe('shadow', () => {
  it('mirrors each request to the candidate, logs its outputs with a shadow marker, answers with the primary', async () => {
    const requestIds: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const res = await post(`${http.url}/v1/models/mirrored/predict`, { instances: [{ x: i }, { x: -i }] });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.version).toBe('1');
      expect(body.predictions.map((p: { outputs: { y: number } }) => p.outputs.y)).toEqual([i, -i]);
      requestIds.push(body.requestId);
    }
    // The candidate is never served to clients.
    const pinned = await post(`${http.url}/v2/models/mirrored/versions/3/infer`, {
      inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }],
    });
    expect(pinned.status).toBe(404);

    const deadline = Date.now() + 10_000;
    let rows = await readPredictions({ store, model: 'mirrored', limit: 1000 });
    while (rows.filter((r) => r.version === '3').length < 20 && Date.now() < deadline) {
      await server.logger!.flush();
      await new Promise((r) => setTimeout(r, 20));
      rows = await readPredictions({ store, model: 'mirrored', limit: 1000 });
    }
    const primary = rows.filter((r) => r.version === '1');
    const shadow = rows.filter((r) => r.version === '3');
    expect(primary).toHaveLength(20);
    expect(shadow).toHaveLength(20);
    expect(new Set(primary.map((r) => r.alias))).toEqual(new Set(['production']));
    expect(new Set(shadow.map((r) => r.alias))).toEqual(new Set(['shadow:candidate']));
    // Same request, same inputs, the candidate's own outputs.
    expect(new Set(shadow.map((r) => r.requestId))).toEqual(new Set(requestIds));
    for (const r of shadow) expect(r.outputs?.y).toBe(100 * (r.inputs.x as number));
    for (const r of primary) expect(r.outputs?.y).toBe(r.inputs.x);
  });

  it('never fails the request when the shadow fails', async () => {
    errors.length = 0;
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await post(`${http.url}/v1/models/failing/predict`, { instances: [{ x: i }] });
        const body = await json(res);
        if (res.status === 200) expect(body.predictions[0].outputs.y).toBe(i);
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const deadline = Date.now() + 10_000;
    while (errors.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(20);
    for (const e of errors) {
      expect(e.where).toBe('shadow failing@4');
      expect((e.err as Error).message).toMatch(/broken candidate/);
    }
    await server.logger!.flush();
    const rows = await readPredictions({ store, model: 'failing', limit: 1000 });
    expect(rows.filter((r) => r.version === '4')).toEqual([]);
    expect(rows.filter((r) => r.version === '1')).toHaveLength(20);
  });
});

describe('ctx.predict from an extension route', () => {
  it('goes through the canary split and the shadow mirror, all under the route request id', async () => {
    server.route({
      method: 'post',
      path: '/test/combo',
      scope: 'predict',
      body: z.object({ x: z.number() }),
      handler: async (ctx) => {
        const a = await ctx.predict('split', { x: [ctx.body.x] });
        const b = await ctx.predict('mirrored', { x: new Float64Array([ctx.body.x]) });
        return { split: a.version, splitY: (a.outputs.y as Float64Array)[0], mirrored: b.version };
      },
    });
    const versions = new Set<string>();
    const ids: string[] = [];
    for (let i = 1; i <= 40; i++) {
      const res = await post(`${http.url}/test/combo`, { x: i }, { 'x-request-id': `combo-${i}` });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.splitY).toBe(K[body.split]! * i);
      expect(body.mirrored).toBe('1');
      versions.add(body.split);
      ids.push(`combo-${i}`);
    }
    // 40 draws at share 0.3: both versions answer (P(no canary) = 0.7^40 ≈ 6e-7).
    expect(versions).toEqual(new Set(['1', '2']));
    const deadline = Date.now() + 10_000;
    let rows = await store.query<{ request_id: string; model: string; alias: string }>(
      "SELECT request_id, model, alias FROM core_predictions WHERE request_id LIKE 'combo-%'",
    );
    while (rows.length < 120 && Date.now() < deadline) {
      await server.logger!.flush();
      await new Promise((r) => setTimeout(r, 20));
      rows = await store.query("SELECT request_id, model, alias FROM core_predictions WHERE request_id LIKE 'combo-%'");
    }
    // Per request: split (primary or canary), mirrored (primary), and the mirrored shadow.
    expect(rows).toHaveLength(120);
    for (const id of ids) {
      const mine = rows.filter((r) => r.request_id === id).map((r) => `${r.model}/${r.alias}`);
      expect(mine.sort()).toEqual(
        [mine.find((m) => m.startsWith('split/'))!, 'mirrored/production', 'mirrored/shadow:candidate'].sort(),
      );
    }
  });
});
