// `HEAD /events` asks whether the event stream is there without following it. Before the fix express ran the GET
// handler for it: it subscribed, sent the stream's headers and never ended the response (a HEAD response has no body
// to end it with), so the client hung and the subscription stayed open until the client gave up.
import { request } from 'node:http';
import { createStore, type Store } from '@mlops/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../src/index.js';
import { startServer, type TestServer } from './http-server.js';

let store: Store;
let registry: Registry;
let server: TestServer;
beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store });
  server = await startServer({ registry });
});
afterAll(async () => {
  await server?.close();
  await registry?.close();
  await store?.close();
});

/** A HEAD request: resolves with the status and headers once the response has ended, or 'no end' after 10 s. */
function head(url: string): Promise<{ status: number; type: string | undefined } | 'no end'> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => {
      req.destroy();
      resolve('no end');
    });
    req.end();
  });
}

it('HEAD /events answers the stream headers and ends', async () => {
  expect(await head(`${server.url}/events`)).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8' });
  // Nothing is left subscribed: a GET stream still works afterwards.
  const res = await fetch(`${server.url}/events`);
  expect(res.status).toBe(200);
  await res.body?.cancel();
});
