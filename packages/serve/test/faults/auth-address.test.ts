// Issue 19, faults 1 and 10: auth follows the address in use (fail closed), and the audit principal of an API key is
// `apikey:<name>#<id>`, which no key can use to pass for an internal principal such as the retraining policy.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ModelServer, type ModelServerOptions } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPredictor } from '../helpers.js';
import { nonLoopbackAddress, rawRequest } from './http.js';

let store: Store;
let registry: Registry;
let adminKey: string;
const addr = nonLoopbackAddress();

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  await registry.createModel({ name: 'tickets' });
  adminKey = (await createApiKey({ store, name: 'ops', scopes: ['admin'] })).key;
});
afterAll(async () => {
  await registry?.close();
  await store?.close();
});

/** A server as the example builds it: the registry API mounted with the server's `authenticate`. */
function serverWith(options: Partial<ModelServerOptions> = {}): ModelServer {
  const server = createModelServer({
    models: [{ name: 'm', predictor: testPredictor() }],
    defaultMetrics: false,
    monitoring: false,
    logging: false,
    onWarning: () => {},
    ...options,
  });
  server.mount(
    '/registry',
    createRegistryRouter({ registry, authenticate: (req, scope) => server.authenticate(req, scope) }),
  );
  return server;
}

/** Mounts `server.app` on a plain node:http server, as users do, on `host`. */
async function mountOn(server: ModelServer, host: string): Promise<{ http: Server; url: string }> {
  const http = createServer(server.app);
  http.listen(0, host);
  await once(http, 'listening');
  const port = (http.address() as AddressInfo).port;
  return { http, url: `http://${host === addr.bind ? addr.connect : host}:${port}` };
}

async function stop(http: Server): Promise<void> {
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
}

const patch = (url: string, headers: Record<string, string> = {}, description = 'changed by someone') =>
  rawRequest(`${url}/registry/models/tickets`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ description }),
  });

describe('listen() on a non-loopback address (fault 1)', () => {
  it('refuses to start without an API-key store, and opens no port', async () => {
    const server = serverWith();
    expect(server.authEnabled).toBe(false); // created for 127.0.0.1
    const attempt = await server.listen({ port: 0, host: '0.0.0.0', signals: [] }).then(
      (listening) => ({ listening, error: undefined }),
      (error: unknown) => ({ listening: undefined, error: error as Error }),
    );
    await attempt.listening?.close();
    await server.close();
    expect(attempt.listening).toBeUndefined();
    expect(attempt.error?.message).toMatch(/auth/i);
    expect(attempt.error?.message).toContain('0.0.0.0');
  });

  it('turns auth on when a key store exists: authEnabled tells the truth, registry writes need a key', async () => {
    const server = serverWith({ store });
    expect(server.authEnabled).toBe(false);
    const listening = await server.listen({ port: 0, host: addr.bind, signals: [] });
    try {
      expect(server.authEnabled).toBe(true);
      const url = `http://${addr.connect}:${new URL(listening.url).port}`;
      const anonymous = await patch(url);
      expect(anonymous.status).toBe(401);
      const predict = await rawRequest(`${url}/v1/models`);
      expect(predict.status).toBe(401);
      const withKey = await patch(url, { authorization: `Bearer ${adminKey}` });
      expect(withKey.status).toBe(200);
    } finally {
      await listening.close();
      await server.close();
    }
  });

  it('starts with auth explicitly disabled, with a loud warning', async () => {
    const warnings: string[] = [];
    const server = serverWith({ auth: 'disabled', onWarning: (m) => warnings.push(m) });
    const listening = await server.listen({ port: 0, host: addr.bind, signals: [] });
    try {
      expect(server.authEnabled).toBe(false);
      expect(warnings.join('\n')).toMatch(/authentication is DISABLED/);
      expect(warnings.join('\n')).toContain(addr.bind);
    } finally {
      await listening.close();
      await server.close();
    }
  });
});

describe('server.app mounted on a plain HTTP server on a non-loopback address (fault 1)', () => {
  it('refuses every request when no store holds API keys (fail closed)', async () => {
    const warnings: string[] = [];
    const server = serverWith({ onWarning: (m) => warnings.push(m) });
    const { http, url } = await mountOn(server, addr.bind);
    try {
      const list = await rawRequest(`${url}/v1/models`);
      expect(list.status).toBe(403);
      expect(list.json.error.code).toBe('FORBIDDEN');
      expect(list.json.error.message).toMatch(/auth/i);
      expect(list.json.error.requestId).toEqual(expect.any(String));
      const write = await patch(url, {}, 'written without a key store');
      expect(write.status).toBe(403);
      expect((await registry.getModel('tickets')).description).not.toBe('written without a key store');
      expect(warnings.join('\n')).toMatch(/non-loopback/);
      expect(server.authEnabled).toBe(true);
    } finally {
      await stop(http);
      await server.close();
    }
  });

  it('requires API keys when a store exists, including on the mounted registry API', async () => {
    const server = serverWith({ store });
    const { http, url } = await mountOn(server, addr.bind);
    try {
      expect((await rawRequest(`${url}/v1/models`)).status).toBe(401);
      expect(server.authEnabled).toBe(true);
      expect((await patch(url)).status).toBe(401);
      const ok = await rawRequest(`${url}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect(ok.status).toBe(200);
    } finally {
      await stop(http);
      await server.close();
    }
  });

  it('needs no key on a loopback mount', async () => {
    const server = serverWith({ store });
    const { http, url } = await mountOn(server, '127.0.0.1');
    try {
      expect((await rawRequest(`${url}/v1/models`)).status).toBe(200);
      expect(server.authEnabled).toBe(false);
    } finally {
      await stop(http);
      await server.close();
    }
  });
});

describe('audit principal of an API key (fault 10)', () => {
  it('is apikey:<name>#<id>, so a key named like the retraining policy cannot pass for it', async () => {
    const impostor = await createApiKey({ store, name: 'continuous-training', scopes: ['registry:write'] });
    const server = serverWith({ store, host: '0.0.0.0' });
    expect(server.authEnabled).toBe(true);
    expect(await server.authenticate({ apiKey: impostor.key }, 'registry:write')).toBe(
      `apikey:continuous-training#${impostor.id}`,
    );
    const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    try {
      const res = await rawRequest(`${listening.url}/registry/models/tickets`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${impostor.key}` },
        body: JSON.stringify({ description: 'retrained', principal: 'continuous-training' }),
      });
      expect(res.status).toBe(200);
      const audit = await registry.listAudit({ model: 'tickets', action: 'model.updated', limit: 1 });
      expect(audit.items[0]?.principal).toBe(`apikey:continuous-training#${impostor.id}`);
      const policy = await registry.listAudit({ principal: 'continuous-training', limit: 10 });
      expect(policy.items).toEqual([]);
    } finally {
      await listening.close();
      await server.close();
    }
  });
});
