// A registry change-event stream (`GET /registry/events`, server-sent events) never ends by itself. Before the fix a
// client following it kept the server's drain waiting for the whole drain timeout (30 s by default, the length of a
// default Kubernetes grace period): shutdown then flushed the prediction log just as the SIGKILL came. A draining
// server now ends its event streams (their clients reconnect elsewhere), so close() finishes with the last request.
import { createStore, type Store } from '@mlops/core';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen, testPredictor } from '../helpers.js';

let store: Store;
let registry: Registry;
beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store });
});
afterAll(async () => {
  await registry?.close();
  await store?.close();
});

it('close() ends the registry event streams instead of waiting the drain timeout for them', async () => {
  const server = createModelServer({
    models: [{ name: 'm', predictor: testPredictor() }],
    drainTimeoutMs: 120_000,
    defaultMetrics: false,
  });
  server.mount('/registry', createRegistryRouter({ registry }));
  const http = await listen(server);
  const events = await fetch(`${http.url}/registry/events`);
  expect(events.status).toBe(200);
  const reader = events.body!.getReader();
  await reader.read(); // ': subscribed'
  const closed = await Promise.race([
    http.close().then(() => 'closed'),
    new Promise((r) => setTimeout(() => r('still draining after 10 s'), 10_000)),
  ]);
  expect(closed).toBe('closed');
  // The stream ended cleanly (the client sees the end and reconnects).
  let done = false;
  while (!done) ({ done } = await reader.read());
  expect(done).toBe(true);
}, 30_000);
