// Issue 19, fault 1 (dashboard): auth follows the address a request actually arrived through, not the `host` option.
// `dashboard.router` mounted on a public server with the default host (127.0.0.1) used to have auth off, guarded
// only by the loopback Host check, which any non-browser client passes by sending `Host: localhost`: an
// unauthenticated rollback. Now every request's local address (and the address its server is bound to) decides,
// fail closed, with one implementation shared with @mlops/serve (core's createAddressAuth / createAddressGuard).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { createDashboard, type Dashboard, type DashboardOptions } from '@mlops/dashboard';
import { createRegistry, type Registry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonLoopbackAddress, rawRequest } from '../../../serve/test/faults/http.js';

let store: Store;
let registry: Registry;
let writerKey: string;
let readerKey: string;
const addr = nonLoopbackAddress();
const digest = (c: string) => `sha256:${c.repeat(64)}`;

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  await registry.createModel({ name: 'tickets' });
  for (const c of ['a', 'b']) await registry.createVersion({ model: 'tickets', packageDigest: digest(c), flavor: 'f' });
  writerKey = (await createApiKey({ store, name: 'deployer', scopes: ['registry:write'] })).key;
  readerKey = (await createApiKey({ store, name: 'viewer', scopes: ['registry:read'] })).key;
});
afterAll(async () => {
  await registry?.close();
  await store?.close();
});

/** Points production at v2 with v1 below it on the rollback stack, so a rollback would succeed. */
async function rollbackable(): Promise<void> {
  await registry.promote({ model: 'tickets', alias: 'production', version: 1 });
  await registry.promote({ model: 'tickets', alias: 'production', version: 2 });
}
const production = async () => (await registry.resolve({ model: 'tickets', alias: 'production' })).version;

/** `dashboard.router` mounted at /ui of an express app on a plain node:http server bound to `host`. */
async function mountOn(
  host: string,
  options: Partial<DashboardOptions> = {},
): Promise<{ dashboard: Dashboard; http: Server; url: string; close: () => Promise<void> }> {
  const dashboard = createDashboard({ store, registry, onWarning: () => {}, ...options });
  const app = express();
  app.use('/ui', dashboard.router);
  const http = createServer(app);
  http.listen(0, host);
  await once(http, 'listening');
  const port = (http.address() as AddressInfo).port;
  return {
    dashboard,
    http,
    url: `http://${host === addr.bind ? addr.connect : host}:${port}/ui/`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await dashboard.close();
    },
  };
}

/** A rollback as a non-browser client sends it: `Host: localhost`, JSON, no Origin. */
const rollback = (url: string, headers: Record<string, string> = {}) =>
  rawRequest(`${url}api/models/tickets/rollback`, {
    method: 'POST',
    headers: { host: 'localhost', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ alias: 'production' }),
  });

describe('dashboard.router mounted on a non-loopback address with the default host (fault 1)', () => {
  it('needs an API key for a rollback even with Host: localhost, and rolls back nothing without one', async () => {
    await rollbackable();
    const m = await mountOn(addr.bind);
    try {
      expect(m.dashboard.authEnabled).toBe(false); // created for 127.0.0.1: nothing reached it yet
      const anonymous = await rollback(m.url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      expect(await production()).toBe(2);
      expect(m.dashboard.authEnabled).toBe(true); // tells the truth about the address in use
      expect((await rollback(m.url, { authorization: `Bearer ${readerKey}` })).status).toBe(403);
      expect(await production()).toBe(2);
      const ok = await rollback(m.url, { authorization: `Bearer ${writerKey}` });
      expect(ok.status).toBe(200);
      expect(await production()).toBe(1);
      const [entry] = (await registry.listAudit({ model: 'tickets', limit: 1 })).items;
      expect(entry).toMatchObject({
        action: 'alias.rolled-back',
        principal: expect.stringMatching(/^apikey:deployer#/),
      });
    } finally {
      await m.close();
    }
  });

  it('needs a key for reads and says so on the page and in /api/info', async () => {
    const m = await mountOn(addr.bind);
    try {
      expect((await rawRequest(`${m.url}api/models`, { headers: { host: 'localhost' } })).status).toBe(401);
      const info = await rawRequest(`${m.url}api/info`, { headers: { authorization: `Bearer ${readerKey}` } });
      expect(info.status).toBe(200);
      expect(info.json).toMatchObject({ authEnabled: true, principal: expect.stringMatching(/^apikey:viewer#/) });
      const page = await rawRequest(m.url, { headers: { host: 'localhost' } });
      expect(page.body).toContain('data-auth="on"');
    } finally {
      await m.close();
    }
  });

  it("with auth: 'disabled' answers without a key, after a loud warning naming the address", async () => {
    const warnings: string[] = [];
    const m = await mountOn(addr.bind, { auth: 'disabled', onWarning: (w) => warnings.push(w) });
    try {
      expect(warnings).toEqual([]);
      expect((await rawRequest(`${m.url}api/models`)).status).toBe(200);
      expect(m.dashboard.authEnabled).toBe(false);
      expect(warnings.join('\n')).toMatch(/authentication is DISABLED/);
      expect(warnings.join('\n')).toContain(addr.bind);
    } finally {
      await m.close();
    }
  });

  it('needs no key on a loopback mount, where the Host check guards it', async () => {
    const m = await mountOn('127.0.0.1');
    try {
      expect((await rawRequest(`${m.url}api/models`)).status).toBe(200);
      expect(m.dashboard.authEnabled).toBe(false);
      const rebound = await rawRequest(`${m.url}api/models`, { headers: { host: 'evil.example' } });
      expect(rebound.status).toBe(403);
    } finally {
      await m.close();
    }
  });
});

describe('dashboard mounted into @mlops/serve listening on a non-loopback address (fault 1)', () => {
  it('needs an API key for a rollback, as the server does', async () => {
    await rollbackable();
    const server = createModelServer({
      models: [],
      store,
      logging: false,
      monitoring: false,
      defaultMetrics: false,
      onWarning: () => {},
    });
    const dashboard = createDashboard({ store, registry, onWarning: () => {} });
    server.mount('/ui', dashboard.router);
    const listening = await server.listen({ port: 0, host: addr.bind, signals: [] });
    try {
      const url = `http://${addr.connect}:${new URL(listening.url).port}/ui/`;
      expect((await rollback(url)).status).toBe(401);
      expect(await production()).toBe(2);
      expect((await rollback(url, { authorization: `Bearer ${writerKey}` })).status).toBe(200);
      expect(await production()).toBe(1);
    } finally {
      await listening.close();
      await server.close();
      await dashboard.close();
    }
  });
});
