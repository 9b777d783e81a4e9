// Issue 19, fault 2: DNS rebinding. A page on evil.example that rebinds its name to 127.0.0.1 reaches a loopback
// server with auth off, with `Host: evil.example:<port>`. Loopback servers without auth answer only loopback Host
// names (and `allowedHosts`); servers with auth on are protected by their keys.
import { createStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer, type ModelServerOptions } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, testPredictor } from '../helpers.js';
import { rawRequest } from './http.js';

let store: Store;
let registry: Registry;

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  await registry.createModel({ name: 'tickets', description: 'original' });
});
afterAll(async () => {
  await registry?.close();
  await store?.close();
});

async function start(options: Partial<ModelServerOptions> = {}): Promise<ListeningServer> {
  const server = createModelServer({
    models: [{ name: 'm', predictor: testPredictor() }],
    defaultMetrics: false,
    monitoring: false,
    logging: false,
    ...options,
  });
  server.mount(
    '/registry',
    createRegistryRouter({ registry, authenticate: (req, scope) => server.authenticate(req, scope) }),
  );
  const http = await listen(server);
  const close = http.close;
  return { ...http, close: () => close().then(() => server.close()) };
}

const predict = (url: string, host: string) =>
  rawRequest(`${url}/v1/models/m/predict`, {
    method: 'POST',
    headers: { host, 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [{ x: 1, city: 'a' }] }),
  });

describe('Host check on a loopback server without auth (fault 2)', () => {
  let http: ListeningServer;
  let port: string;
  beforeAll(async () => {
    http = await start({ store });
    port = new URL(http.url).port;
  });
  afterAll(() => http?.close());

  it.each([['localhost:PORT'], ['127.0.0.1:PORT'], ['[::1]:PORT'], ['localhost'], ['LOCALHOST:PORT']])(
    'answers Host %s',
    async (host) => {
      expect((await predict(http.url, host.replace('PORT', port))).status).toBe(200);
    },
  );

  it.each([
    ['evil.example:PORT'],
    ['evil.example'],
    ['127.0.0.1.evil.example:PORT'],
    ['localhost.evil.example'],
    ['192.0.2.7:PORT'],
  ])('refuses Host %s with 403 in the error contract', async (host) => {
    const res = await predict(http.url, host.replace('PORT', port));
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: 'FORBIDDEN', requestId: expect.any(String) });
    expect(res.json.error.message).toMatch(/Host/);
    expect(res.json.error.details).toEqual([{ path: '(headers).host', message: expect.any(String) }]);
  });

  it('refuses a rebound JSON write to the registry API and leaves the model unchanged', async () => {
    const res = await rawRequest(`${http.url}/registry/models/tickets`, {
      method: 'PATCH',
      headers: {
        host: `evil.example:${port}`,
        origin: `http://evil.example:${port}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ description: 'rebound' }),
    });
    expect(res.status).toBe(403);
    expect((await registry.getModel('tickets')).description).toBe('original');
  });
});

describe('allowedHosts', () => {
  it('admits the listed names (exact, or a subdomain for a leading dot), and still the loopback ones', async () => {
    const http = await start({ allowedHosts: ['ml.internal', '.svc.cluster.local'] });
    try {
      const port = new URL(http.url).port;
      expect((await predict(http.url, `ml.internal:${port}`)).status).toBe(200);
      expect((await predict(http.url, 'serve.ml.svc.cluster.local')).status).toBe(200);
      expect((await predict(http.url, `localhost:${port}`)).status).toBe(200);
      expect((await predict(http.url, 'other.internal')).status).toBe(403);
    } finally {
      await http.close();
    }
  });
});

describe('a server with auth on', () => {
  it('does not check Host: its keys protect it', async () => {
    const { key } = await createApiKey({ store, name: 'client', scopes: ['predict'] });
    const http = await start({ store, auth: 'required' });
    try {
      const res = await rawRequest(`${http.url}/v1/models/m/predict`, {
        method: 'POST',
        headers: { host: 'serve.example.com', 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ instances: [{ x: 1, city: 'a' }] }),
      });
      expect(res.status).toBe(200);
    } finally {
      await http.close();
    }
  });
});
