// Issue 19, faults 4 (the HTTP boundary) and 5 (feedback): strings PostgreSQL text/jsonb cannot hold (U+0000, lone
// surrogates) and labels nested thousands deep are client mistakes: a 400 with the field path, never a 200 that later
// poisons a prediction-log batch, and never a 500.
import type { Store } from '@mlops/core';
import { readPredictions } from '@mlops/core/predictions';
import { describeStores } from '@mlops/core/testing';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Json, json, listen, post, testPredictor } from '../helpers.js';

const BAD = [
  ['U+0000', 'a\u0000b'],
  ['a lone high surrogate', '\ud800'],
  ['a lone low surrogate', 'x\udfff'],
] as const;

function nested(depth: number): unknown {
  let v: unknown = 'network';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describeStores('strings PostgreSQL cannot hold are 400s at the boundary', (getStore) => {
  let store: Store;
  let server: ModelServer;
  let http: ListeningServer;
  const faults: unknown[] = [];
  beforeAll(async () => {
    store = getStore();
    server = createModelServer({
      models: [{ name: 'm', predictor: testPredictor() }],
      store,
      defaultMetrics: false,
      onError: (err) => faults.push(err),
    });
    http = await listen(server);
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  async function expect400(res: Response, path: string): Promise<Json> {
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    // v1: core's error body; v2: the Open Inference Protocol's { error: string } with the code beside it.
    const error = typeof body.error === 'string' ? body : body.error;
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.details.map((d: { path: string }) => d.path)).toContain(path);
    return error;
  }

  for (const [what, s] of BAD) {
    it(`v1 predict: ${what} in a string input is a 400 with its path (records and columns)`, async () => {
      await expect400(
        await post(`${http.url}/v1/models/m/predict`, {
          instances: [
            { x: 1, city: 'Lyon' },
            { x: 2, city: s },
          ],
        }),
        'instances[1].city',
      );
      await expect400(
        await post(`${http.url}/v1/models/m/predict`, { inputs: { x: [1, 2], city: ['Lyon', s] } }),
        'inputs.city[1]',
      );
    });

    it(`v2 infer: ${what} in BYTES data is a 400 with its path`, async () => {
      const res = await post(`${http.url}/v2/models/m/infer`, {
        inputs: [
          { name: 'x', shape: [2], datatype: 'FP64', data: [1, 2] },
          { name: 'city', shape: [2], datatype: 'BYTES', data: ['Lyon', s] },
        ],
      });
      await expect400(res, 'inputs[1].data');
    });

    it(`server.predict / ctx.predict: ${what} is INVALID_INPUT`, async () => {
      await expect(server.predict('m', { x: [1], city: [s] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        details: [{ path: 'inputs.city[0]' }],
      });
    });

    for (const [field, body] of [
      ['predictionId', { predictionId: s, label: 'a' }],
      ['requestId', { requestId: s, label: 'a' }],
      ['model', { requestId: 'r', model: s, label: 'a' }],
      ['label', { requestId: 'r', label: s }],
      ['label.topic[0]', { requestId: 'r', label: { topic: ['x', s].slice(1) } }],
      ['labels.topic', { requestId: 'r', labels: { topic: s } }],
    ] as const) {
      it(`feedback: ${what} in ${field} is a 400 with its path`, async () => {
        await expect400(await post(`${http.url}/v1/feedback`, body), field);
      });
    }

    it(`feedback: ${what} in a labels key is a 400`, async () => {
      const res = await post(`${http.url}/v1/feedback`, { requestId: 'r', labels: { [`t${s}`]: 'a' } });
      expect(res.status).toBe(400);
    });
  }

  for (const depth of [1_000, 100_000]) {
    it(`feedback: a label nested ${depth} deep is a 400 with its path, not a 500`, async () => {
      // Written by hand: JSON.stringify itself overflows the stack at this depth.
      const deep = `${'['.repeat(depth)}"network"${']'.repeat(depth)}`;
      const type = { 'content-type': 'application/json' };
      const res = await post(`${http.url}/v1/feedback`, `{"requestId": "r", "label": ${deep}}`, type);
      const body = await expect400(res, 'label');
      expect(JSON.stringify(body.details)).toMatch(/Nested deeper than 64 levels/);
      const res2 = await post(`${http.url}/v1/feedback`, `{"requestId": "r", "labels": {"topic": ${deep}}}`, type);
      await expect400(res2, 'labels.topic');
    });
  }

  it('feedback: a label nested 30 deep and unicode text are still accepted', async () => {
    const res = await post(`${http.url}/v1/feedback`, {
      requestId: 'r-ok',
      label: { text: ['ünï 😀'], deep: nested(30) },
    });
    expect(res.status).toBe(201);
  });

  it('one refused request among good ones costs no other prediction its log row', async () => {
    const good = Array.from({ length: 20 }, (_, i) => ({ x: i, city: `city-${i}` }));
    const results = await Promise.all([
      ...good.map((r) => post(`${http.url}/v1/models/m/predict`, { instances: [r] })),
      post(`${http.url}/v1/models/m/predict`, { instances: [{ x: 99, city: '\ud800' }] }),
    ]);
    expect(results.map((r) => r.status)).toEqual([...good.map(() => 200), 400]);
    const ids = await Promise.all(results.slice(0, 20).map(async (r) => (await json(r)).predictions[0].id as string));
    const stats = await server.logger!.flush();
    expect(stats.abandoned).toBe(0);
    const rows = await readPredictions({ store, model: 'm', limit: 10_000 });
    const logged = new Set(rows.map((r) => r.id));
    expect(ids.filter((id) => !logged.has(id))).toEqual([]);
    expect(faults).toEqual([]);
  });
});
