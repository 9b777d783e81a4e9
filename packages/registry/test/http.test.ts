import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { createRegistry, type Registry, registryClient } from '../src/index.js';
import { startServer, type TestServer } from './http-server.js';
import { testRegistry } from './registry.suite.js';

describeStores('registry (HTTP client against a real server)', (getStore) => {
  let inner: Registry;
  let server: TestServer;
  let client: Registry;
  beforeAll(async () => {
    inner = await createRegistry({ store: getStore() });
    server = await startServer({ registry: inner });
    client = registryClient(server.url);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await inner?.close();
  });

  testRegistry(() => client, { remote: true });
});
