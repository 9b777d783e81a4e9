// Issue 19, fault 2: DNS rebinding. A page on evil.example whose name is made to resolve to 127.0.0.1 sends
// `Host: evil.example:<port>` and `Origin: http://evil.example:<port>` (so the Origin == Host check passes). A loopback
// dashboard without auth answers only loopback Host names and `allowedHosts`.
import { createStore, type Store } from '@mlops/core';
import { type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../serve/test/faults/http.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
});
afterAll(() => store?.close());

/** A request to `url` with the given `Host` header. */
const send = (
  url: string,
  host: string,
  opts: { method?: string; body?: string; headers?: Record<string, string> } = {},
) => rawRequest(url, { ...opts, headers: { host, ...opts.headers } });

describe('dashboard Host check without auth (fault 2)', () => {
  let dash: ListeningDashboard;
  let port: string;
  beforeAll(async () => {
    dash = await listenDashboard({ store, port: 0, allowedHosts: ['dash.internal'] });
    port = new URL(dash.url).port;
  });
  afterAll(() => dash?.close());

  it.each([['localhost:PORT'], ['127.0.0.1:PORT'], ['[::1]:PORT'], ['dash.internal:PORT']])(
    'answers Host %s',
    async (host) => {
      expect((await send(`${dash.url}api/info`, host.replace('PORT', port))).status).toBe(200);
    },
  );

  it('refuses a rebound read with 403 in the error contract', async () => {
    const res = await send(`${dash.url}api/info`, `evil.example:${port}`);
    expect(res.status).toBe(403);
    expect(res.json?.error?.code).toBe('FORBIDDEN');
    expect(res.json?.error?.details?.map((d: { path: string }) => d.path)).toEqual(['(headers).host']);
  });

  it('refuses a rebound write even when Origin matches Host', async () => {
    const res = await send(`${dash.url}api/models/tickets/rollback`, `evil.example:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://evil.example:${port}` },
      body: JSON.stringify({ alias: 'production' }),
    });
    expect(res.status).toBe(403);
    expect(res.json?.error?.code).toBe('FORBIDDEN');
  });

  it('refuses the page itself for a foreign Host', async () => {
    expect((await send(dash.url, `evil.example:${port}`)).status).toBe(403);
  });
});
