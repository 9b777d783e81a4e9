// Issue 19 (auth): the model server, the registry's router and the dashboard read the API key from a request the same
// way, with one helper of @mlops/core (apiKeyFromHeaders): `Authorization: Bearer <key>` (scheme in any case, then
// spaces or tabs) first, else `X-API-Key: <key>`. They used to carry three copies that disagreed (the model server
// refused `Bearer<TAB><key>`, which the registry and the dashboard accepted).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { apiKeyAuthenticator, createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../serve/test/faults/http.js';

let store: Store;
let registry: Registry;
let key: string;
let server: ModelServer;
let served: ListeningServer;
let registryHttp: Server;
let dash: ListeningDashboard;
/** One read endpoint of each server that needs an API key. */
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  key = (await createApiKey({ store, name: 'ops', scopes: ['admin'] })).key;
  server = createModelServer({
    models: [],
    store,
    auth: 'required',
    logging: false,
    monitoring: false,
    defaultMetrics: false,
  });
  served = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  endpoints.serve = `${served.url}/v1/models`;
  const app = express();
  app.use('/registry', createRegistryRouter({ registry, authenticate: apiKeyAuthenticator({ store }) }));
  registryHttp = app.listen(0, '127.0.0.1');
  await once(registryHttp, 'listening');
  endpoints.registry = `http://127.0.0.1:${(registryHttp.address() as AddressInfo).port}/registry/models`;
  dash = await listenDashboard({ store, registry, auth: 'required', port: 0 });
  endpoints.dashboard = `${dash.url}api/models`;
});
afterAll(async () => {
  await served?.close();
  await server?.close();
  registryHttp?.closeAllConnections();
  await new Promise((r) => (registryHttp ? registryHttp.close(r) : r(undefined)));
  await dash?.close();
  await registry?.close();
  await store?.close();
});

const accepted: [string, () => Record<string, string>][] = [
  ['Authorization: Bearer <key>', () => ({ authorization: `Bearer ${key}` })],
  ['Authorization: bearer <key>', () => ({ authorization: `bearer ${key}` })],
  ['Authorization: BEARER   <key>', () => ({ authorization: `BEARER   ${key}` })],
  ['Authorization: Bearer<TAB><key>', () => ({ authorization: `Bearer\t${key}` })],
  ['X-API-Key: <key>', () => ({ 'x-api-key': key })],
  ['X-API-Key beside a Basic Authorization', () => ({ authorization: 'Basic dXNlcjpwdw==', 'x-api-key': key })],
  ['Bearer first, over a wrong X-API-Key', () => ({ authorization: `Bearer ${key}`, 'x-api-key': 'mlops_wrong' })],
];
const refused: [string, () => Record<string, string>][] = [
  ['no key', () => ({})],
  ['Authorization: Basic', () => ({ authorization: 'Basic dXNlcjpwdw==' })],
  ['Authorization: Bearer (no key)', () => ({ authorization: 'Bearer' })],
  ['Authorization: Bearer<key> (no space)', () => ({ authorization: `Bearer${key}` })],
  ['the key with no scheme', () => ({ authorization: key })],
  ['an empty X-API-Key', () => ({ 'x-api-key': '' })],
];

describe('the API key forms every server accepts', () => {
  for (const target of ['serve', 'registry', 'dashboard']) {
    it.each(accepted)(`${target} accepts %s`, async (_what, headers) => {
      const res = await rawRequest(endpoints[target]!, { headers: headers() });
      expect(res.status, res.body.slice(0, 300)).toBe(200);
    });
    it.each(refused)(`${target} answers 401 for %s`, async (_what, headers) => {
      const res = await rawRequest(endpoints[target]!, { headers: headers() });
      expect(res.status, res.body.slice(0, 300)).toBe(401);
    });
  }
});
