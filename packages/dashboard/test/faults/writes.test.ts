// Issue 19, fault 6 (dashboard): writes authenticate first, then take JSON only. listenDashboard used to parse JSON
// bodies for the whole app before auth (an unauthenticated client had its body read and parsed, and got a 400 or 413
// instead of a 401), and a non-JSON write was a 400 instead of a 415 (the status docs/api.md promises). Writes now
// read their body only after authentication and the content-type check (the registry router's reader), and a
// Content-Length over the limit is a 413 before anything is read.
import { createStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { createDashboard, type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { createRegistry, type Registry } from '@mlops/registry';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../serve/test/faults/http.js';

let store: Store;
let registry: Registry;
let writerKey: string;
const digest = (c: string) => `sha256:${c.repeat(64)}`;

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  await registry.createModel({ name: 'tickets' });
  for (const c of ['a', 'b']) await registry.createVersion({ model: 'tickets', packageDigest: digest(c), flavor: 'f' });
  writerKey = (await createApiKey({ store, name: 'deployer', scopes: ['registry:write'] })).key;
});
afterAll(async () => {
  await registry?.close();
  await store?.close();
});

async function rollbackable(): Promise<void> {
  await registry.promote({ model: 'tickets', alias: 'production', version: 1 });
  await registry.promote({ model: 'tickets', alias: 'production', version: 2 });
}
const production = async () => (await registry.resolve({ model: 'tickets', alias: 'production' })).version;

const write = (
  url: string,
  opts: { type?: string; body?: string; key?: string; headers?: Record<string, string> } = {},
) =>
  rawRequest(`${url}api/models/tickets/rollback`, {
    method: 'POST',
    headers: {
      ...(opts.type ? { 'content-type': opts.type } : {}),
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...opts.headers,
    },
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
const body = JSON.stringify({ alias: 'production' });

describe('listenDashboard with auth on: authenticate before reading a write (fault 6)', () => {
  let dash: ListeningDashboard;
  beforeAll(async () => {
    dash = await listenDashboard({ store, registry, auth: 'required', port: 0 });
  });
  afterAll(() => dash?.close());

  it('answers an unauthenticated write 401 whatever its body: not parsed, not sized', async () => {
    for (const [type, b] of [
      ['application/json', '{"alias": '],
      ['application/json', JSON.stringify({ alias: 'production', pad: 'x'.repeat(200_000) })],
      ['text/plain', body],
    ] as const) {
      const res = await write(dash.url, { type, body: b });
      expect(res.status, `${type} ${b.slice(0, 20)}`).toBe(401);
      expect(res.json?.error?.code).toBe('UNAUTHORIZED');
    }
  });

  it('answers an unauthenticated Content-Length of 10 MB with 401 without reading the body', async () => {
    const res = await write(dash.url, {
      type: 'application/json',
      headers: { 'content-length': String(10 * 1024 * 1024) },
    });
    expect(res.status).toBe(401);
    expect(res.headers.connection).toBe('close');
  });

  it('answers an authenticated non-JSON write 415 and rolls back nothing', async () => {
    await rollbackable();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await write(dash.url, { ...(type ? { type } : {}), body, key: writerKey });
      expect(res.status, String(type)).toBe(415);
      expect(res.json?.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(res.json?.error?.details).toEqual([{ path: '(headers).content-type', message: expect.any(String) }]);
    }
    expect(await production()).toBe(2);
  });

  it('answers an authenticated Content-Length over 100 kb with 413 at once', async () => {
    const res = await write(dash.url, {
      type: 'application/json',
      key: writerKey,
      headers: { 'content-length': String(10 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.json?.error?.details).toEqual([{ path: '(body)', message: 'too large' }]);
  });

  it('still takes an authenticated JSON write', async () => {
    await rollbackable();
    const res = await write(dash.url, { type: 'application/json; charset=utf-8', body, key: writerKey });
    expect(res.status).toBe(200);
    expect(await production()).toBe(1);
  });
});

describe('dashboard without auth (loopback): JSON writes only (fault 6)', () => {
  it('answers a text/plain "simple request" 415 and rolls back nothing', async () => {
    await rollbackable();
    const dash = await listenDashboard({ store, registry, port: 0 });
    try {
      const res = await write(dash.url, { type: 'text/plain', body });
      expect(res.status).toBe(415);
      expect(await production()).toBe(2);
      expect((await write(dash.url, { type: 'application/json', body: '{"alias": ' })).status).toBe(400);
      expect((await write(dash.url, { type: 'application/json', body })).status).toBe(200);
      expect(await production()).toBe(1);
    } finally {
      await dash.close();
    }
  });

  it('works behind an app that already parsed the JSON body', async () => {
    await rollbackable();
    const dashboard = createDashboard({ store, registry });
    const app = express();
    app.use(express.json());
    app.use('/ui', dashboard.router);
    const http = app.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/ui/`;
      expect((await write(url, { type: 'application/json', body })).status).toBe(200);
      expect(await production()).toBe(1);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await dashboard.close();
    }
  });
});
