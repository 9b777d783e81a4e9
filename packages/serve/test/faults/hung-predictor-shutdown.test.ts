// A predictor that never answers gets its requests a 504 at the request timeout, and must not keep the server from
// shutting down: close() waits at most the drain timeout for it, then flushes the prediction log (a clean shutdown
// loses nothing that was answered). Before the fix close() waited for the hung call forever (closing the model
// waited for its last user), so SIGTERM never finished and the buffered prediction log was lost to the SIGKILL.
import { type Columns, createStore, type Predictor, type Store } from '@mlops/core';
import { createModelServer } from '@mlops/serve';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen, post, testPredictor } from '../helpers.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
});
afterAll(async () => {
  await store?.close();
});

it('close() finishes after the drain timeout and flushes the log while a predictor hangs', async () => {
  const base = testPredictor();
  const predictor: Predictor = {
    ...base,
    batchable: false,
    predict: (inputs: Columns) =>
      (inputs.x as Float64Array)[0] === 999 ? new Promise<Columns>(() => {}) : base.predict(inputs),
  };
  const faults: { err: unknown; where?: string | undefined }[] = [];
  const server = createModelServer({
    models: [{ name: 'm', predictor }],
    store,
    limits: { requestTimeoutMs: 300 },
    drainTimeoutMs: 300,
    logging: { flushIntervalMs: 60_000 },
    defaultMetrics: false,
    monitoring: false,
    onError: (err, context) => faults.push({ err, where: context.where }),
  });
  const http = await listen(server);
  expect((await post(`${http.url}/v1/models/m/predict`, { instances: [{ x: 1, city: 'c' }] })).status).toBe(200);
  expect((await post(`${http.url}/v1/models/m/predict`, { instances: [{ x: 999, city: 'c' }] })).status).toBe(504);
  // A generous bound: without the fix close() never settles.
  const closed = await Promise.race([
    http.close().then(() => 'closed'),
    new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
  ]);
  expect(closed).toBe('closed');
  const rows = await store.query<{ n: number }>('select count(*)::int as n from core_predictions');
  expect(rows[0]!.n).toBe(1);
  // The hung model is reported, not silently abandoned.
  expect(faults.some((f) => /did not finish/.test(String(f.err)))).toBe(true);
}, 30_000);
