import { createStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { isLoopbackHost as coreIsLoopbackHost } from '@mlops/core/http';
import { createModelServer, isLoopbackHost, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { json, listen, post, testPredictor } from './helpers.js';

let store: Store;
let http: ListeningServer;
let url: string;
const keys: Record<string, string> = {};

beforeAll(async () => {
  store = await createStore('memory://');
  for (const scope of ['predict', 'feedback', 'admin'] as const) {
    keys[scope] = (await createApiKey({ store, name: `${scope}-key`, scopes: [scope] })).key;
  }
  // Bound to a public address in production: auth is required by default. Tests still listen on loopback.
  const server = createModelServer({
    models: [{ name: 'm', predictor: testPredictor() }],
    store,
    host: '0.0.0.0',
    defaultMetrics: false,
  });
  expect(server.authEnabled).toBe(true);
  server.route({
    method: 'get',
    path: '/v1/admin/ping',
    response: z.object({ by: z.string() }),
    handler: ({ principal }) => ({ by: principal?.name ?? 'nobody' }),
  });
  http = await listen(server);
  url = http.url;
});
afterAll(async () => {
  await http?.close();
  await store?.close();
});

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const predictBody = { instances: [{ x: 1, city: 'a' }] };

describe('API-key auth with scopes', () => {
  it('refuses a request without a key with 401 and WWW-Authenticate', async () => {
    const res = await post(`${url}/v1/models/m/predict`, predictBody);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await json(res)).error.code).toBe('UNAUTHORIZED');
    const wrong = await post(`${url}/v1/models/m/predict`, predictBody, bearer(`${keys.predict!.slice(0, -2)}xx`));
    expect(wrong.status).toBe(401);
  });

  it('enforces each endpoint scope', async () => {
    const cases: [string, () => Promise<Response>, number][] = [
      ['predict key → predict', () => post(`${url}/v1/models/m/predict`, predictBody, bearer(keys.predict!)), 200],
      ['feedback key → predict', () => post(`${url}/v1/models/m/predict`, predictBody, bearer(keys.feedback!)), 403],
      [
        'predict key → v2 infer',
        () =>
          post(
            `${url}/v2/models/m/infer`,
            {
              inputs: [
                { name: 'x', shape: [1], datatype: 'FP64', data: [1] },
                { name: 'city', shape: [1], datatype: 'BYTES', data: ['a'] },
              ],
            },
            { 'x-api-key': keys.predict! },
          ),
        200,
      ],
      [
        'predict key → feedback',
        () => post(`${url}/v1/feedback`, { requestId: 'r', label: 1 }, bearer(keys.predict!)),
        403,
      ],
      [
        'feedback key → feedback',
        () => post(`${url}/v1/feedback`, { requestId: 'r', label: 1 }, bearer(keys.feedback!)),
        201,
      ],
      [
        'admin key → feedback',
        () => post(`${url}/v1/feedback`, { requestId: 'r', label: 1 }, bearer(keys.admin!)),
        201,
      ],
      ['predict key → admin route', () => fetch(`${url}/v1/admin/ping`, { headers: bearer(keys.predict!) }), 403],
      ['admin key → admin route', () => fetch(`${url}/v1/admin/ping`, { headers: bearer(keys.admin!) }), 200],
      ['no key → /metrics (public)', () => fetch(`${url}/metrics`), 200],
      ['no key → health (public)', () => fetch(`${url}/v2/health/ready`), 200],
      ['no key → v2 model metadata', () => fetch(`${url}/v2/models/m`), 401],
    ];
    for (const [what, call, status] of cases) {
      const res = await call();
      expect({ what, status: res.status }).toEqual({ what, status });
    }
    const ping = await fetch(`${url}/v1/admin/ping`, { headers: bearer(keys.admin!) });
    expect(await json(ping)).toEqual({ by: 'admin-key' });
  });

  it('marks protected operations with bearerAuth in openapi.json', async () => {
    const doc = await json(await fetch(`${url}/openapi.json`));
    expect(doc.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    expect(doc.paths['/v1/models/m/predict'].post.security).toEqual([{ bearerAuth: [] }]);
  });
});

describe('auth default (SPEC: off on loopback, required otherwise)', () => {
  it("exports core's isLoopbackHost (its table of addresses is tested in core)", () => {
    expect(isLoopbackHost).toBe(coreIsLoopbackHost);
  });

  it('is off on loopback, and refuses to start on a public host without a key store', () => {
    const predictor = testPredictor();
    expect(createModelServer({ models: [{ name: 'm', predictor }], defaultMetrics: false }).authEnabled).toBe(false);
    expect(() => createModelServer({ models: [{ name: 'm', predictor }], host: '0.0.0.0' })).toThrow(
      /auth is required/,
    );
  });

  it('warns loudly when disabled on a public host', () => {
    const warnings: string[] = [];
    const server = createModelServer({
      models: [{ name: 'm', predictor: testPredictor() }],
      host: '0.0.0.0',
      auth: 'disabled',
      defaultMetrics: false,
      onWarning: (m) => warnings.push(m),
    });
    expect(server.authEnabled).toBe(false);
    expect(warnings.join('\n')).toMatch(/authentication is DISABLED/);
  });
});
