// docs/api.md: `METHOD_NOT_ALLOWED` (405) is "a method the route does not take". Before the fix every wrong method
// was a 404 NOT_FOUND ("No route GET /v1/models/m/predict"), on the server's routes, extension routes and the
// registry router mounted at /registry alike, so a client could not tell a typo in the path from a wrong verb.
import { createStore, type Store } from '@mlops/core';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
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
  server.route({
    method: 'post',
    path: '/tickets/triage',
    scope: 'predict',
    body: z.object({ title: z.string() }),
    handler: () => ({ ok: true }),
  });
  server.mount('/registry', createRegistryRouter({ registry }));
  http = await listen(server);
});
afterAll(async () => {
  await http?.close();
  await registry?.close();
  await store?.close();
});

async function send(method: string, path: string) {
  const res = await fetch(`${http.url}${path}`, {
    method,
    ...(method === 'GET' || method === 'HEAD' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
  });
  const text = await res.text();
  return { status: res.status, allow: res.headers.get('allow'), body: text ? JSON.parse(text) : undefined };
}

describe('a known path with a method it does not take is 405 with Allow', () => {
  it.each([
    ['GET', '/v1/models/m/predict', 'POST'],
    ['PUT', '/v1/models/m/predict/', 'POST'],
    ['DELETE', '/v1/models', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['POST', '/v1/models/m', 'GET, HEAD'],
    ['GET', '/v1/feedback', 'POST'],
    ['GET', '/tickets/triage', 'POST'],
    ['OPTIONS', '/v1/models/m/predict', 'POST'],
    ['PUT', '/registry/models', 'GET, HEAD, POST'],
    ['POST', '/registry/models/a/versions/1', 'DELETE, GET, HEAD, PATCH'],
    ['DELETE', '/registry/audit', 'GET, HEAD'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const r = await send(method, path);
    expect(r.status).toBe(405);
    expect(r.allow).toBe(allow);
    expect(r.body.error).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      details: [{ path: '(method)' }],
      requestId: expect.any(String),
    });
  });

  it('v2 routes answer in the protocol form', async () => {
    const r = await send('GET', '/v2/models/m/infer');
    expect(r.status).toBe(405);
    expect(r.allow).toBe('POST');
    expect(r.body).toMatchObject({ error: expect.any(String), code: 'METHOD_NOT_ALLOWED' });
  });

  it.each([
    ['GET', '/v1/nothing'],
    ['POST', '/v1/models/m/predict/extra'],
    ['PUT', '/registry/nothing'],
  ])('%s %s: an unknown path is still 404', async (method, path) => {
    const r = await send(method, path);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('HEAD on a GET route is still answered', async () => {
    expect((await send('HEAD', '/v1/models')).status).toBe(200);
  });
});
