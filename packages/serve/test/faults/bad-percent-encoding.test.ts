// A path parameter that is not valid percent-encoding (`%E0%A4%A`, `%zz`, an encoded lone surrogate) is the
// client's mistake: 400 INVALID_INPUT with a field path, on the server's routes and on the registry router alike.
// Before the fix express's decoding error came out as 400 "Bad request" with no details at all.
import { createStore, type Store } from '@mlops/core';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen, testPredictor } from '../helpers.js';

let store: Store;
let registry: Registry;
let http: ListeningServer;
beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store });
  const server = createModelServer({
    models: [{ name: 'm', predictor: testPredictor() }],
    store,
    defaultMetrics: false,
  });
  server.mount('/registry', createRegistryRouter({ registry }));
  http = await listen(server);
});
afterAll(async () => {
  await http?.close();
  await registry?.close();
  await store?.close();
});

it.each([
  ['GET', '/v1/models/%E0%A4%A'],
  ['POST', '/v1/models/%zz/predict'],
  ['GET', '/v2/models/%ED%A0%80'],
  ['POST', '/v2/models/m/versions/%/infer'],
  ['GET', '/registry/models/%E0%A4%A'],
  ['GET', '/registry/models/a/aliases/%zz'],
])('%s %s → 400 INVALID_INPUT at (path)', async (method, path) => {
  const res = await fetch(`${http.url}${path}`, {
    method,
    ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
  });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: unknown; code?: string; details?: unknown };
  const e = path.startsWith('/v2/') ? { ...body, message: body.error } : (body.error as typeof body);
  expect(e).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: '(path)', message: expect.any(String) }] });
});
