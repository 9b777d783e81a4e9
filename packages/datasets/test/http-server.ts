import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A route of the test server: a handler that gets the number of earlier requests to the same path. */
export type Route = (res: ServerResponse, previousHits: number) => void;

export interface TestServer {
  url: string;
  hits(path: string): number;
  route(path: string, handler: Route): void;
  close(): Promise<void>;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Serves `body` in full with a Content-Length. */
export const serve =
  (body: Uint8Array): Route =>
  (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  };

/** Announces the full length, sends half of it, then drops the connection. */
export const dropMidBody =
  (body: Uint8Array): Route =>
  (res) => {
    res.writeHead(200, { 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
  };

/** Sends headers and a few bytes, then goes silent (the client must time out). */
export const stall: Route = (res) => {
  res.writeHead(200, { 'content-length': 1000 });
  res.write('partial');
};

/** A real HTTP server on 127.0.0.1:0 that counts requests per path. */
export async function startTestServer(): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const before = counts.get(path) ?? 0;
    counts.set(path, before + 1);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    handler(res, before);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: (path) => counts.get(path) ?? 0,
    route: (path, handler) => {
      routes.set(path, handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
