// /openapi.json is built from the mounted route definitions only (issue 22): every built-in route is listed once,
// from the same definition that mounts it, with its scope.
import { createStore, type Store } from '@mlops/core';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { json, listen, testPredictor } from './helpers.js';

type Doc = { paths: Record<string, Record<string, { security?: unknown; tags?: string[] }>> };

describe('the OpenAPI document of the built-in routes', () => {
  let store: Store;
  let http: ListeningServer;
  beforeAll(async () => {
    store = await createStore('memory://');
    const server = createModelServer({ models: [{ name: 'demo', predictor: testPredictor() }], store });
    server.route({
      method: 'get',
      path: '/v1/hello/:name',
      scope: null,
      params: z.object({ name: z.string() }),
      handler: ({ params }) => ({ hello: params.name }),
    });
    http = await listen(server);
  });
  afterAll(async () => {
    await http.close();
    await store.close();
  });

  it('lists every built-in route once, beside the extension routes', async () => {
    const doc = (await json(await fetch(`${http.url}/openapi.json`))) as Doc;
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /v1/models',
        'GET /v1/models/{name}',
        'POST /v1/models/demo/predict',
        'POST /v1/feedback',
        'GET /v2',
        'GET /v2/health/live',
        'GET /v2/health/ready',
        'GET /v2/models/{name}',
        'GET /v2/models/{name}/ready',
        'GET /v2/models/{name}/versions/{version}',
        'GET /v2/models/{name}/versions/{version}/ready',
        'POST /v2/models/{name}/infer',
        'POST /v2/models/{name}/versions/{version}/infer',
        'GET /metrics',
        'GET /openapi.json',
        'GET /docs',
        'GET /v1/hello/{name}',
      ].sort(),
    );
    expect(doc.paths['/v1/hello/{name}']!.get!.tags).toEqual(['extensions']);
    expect(doc.paths['/v1/models/demo/predict']!.post!.tags).toEqual(['predict']);
  });

  it('every route answers as it is documented (no route documented that is not mounted)', async () => {
    for (const path of ['/v1/models', '/v1/models/demo', '/v2', '/v2/health/live', '/v2/models/demo', '/metrics']) {
      expect((await fetch(`${http.url}${path}`)).status, path).toBe(200);
    }
  });
});
