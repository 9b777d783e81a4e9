import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRegistryRouter, type RegistryRouterOptions } from '../src/index.js';

/** A real express server on 127.0.0.1 with the registry router mounted at `/registry`. */
export interface TestServer {
  /** The registry's base URL, e.g. `http://127.0.0.1:41234/registry`. */
  url: string;
  close(): Promise<void>;
}

/** Starts a server on an ephemeral port of 127.0.0.1. */
export async function startServer(options: RegistryRouterOptions): Promise<TestServer> {
  const app = express();
  app.use('/registry', createRegistryRouter(options));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/registry`,
    async close() {
      server.closeAllConnections(); // event streams stay open otherwise
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
