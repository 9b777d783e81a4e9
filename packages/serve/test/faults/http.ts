import { request } from 'node:http';
import { networkInterfaces } from 'node:os';

/**
 * A non-loopback address of this machine to bind test servers to (issue 19, fault 1), else `0.0.0.0` (then tests
 * connect through 127.0.0.1, and the server still sees that it is bound to a non-loopback address).
 */
export function nonLoopbackAddress(): { bind: string; connect: string } {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.family === 'IPv4' && !i.internal) return { bind: i.address, connect: i.address };
    }
  }
  return { bind: '0.0.0.0', connect: '127.0.0.1' };
}

/** What {@link rawRequest} resolves to. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests walk response bodies freely
  json: any;
}

/**
 * Sends a request with full control of the headers (`Host`, a `Content-Length` larger than what is sent) through
 * node:http. With `body: undefined` and a `content-length` header, only the headers are sent: the promise resolves
 * when the server answers without waiting for the body; it rejects when no answer comes within `timeoutMs`
 * (default 10 s).
 */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = body ? JSON.parse(body) : undefined;
          } catch {
            parsed = undefined;
          }
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // A generous wait for the answer: without one the assertion fails instead of the test timing out.
    req.setTimeout(opts.timeoutMs ?? 10_000, () => {
      req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`));
    });
    if (opts.body !== undefined) req.end(opts.body);
    else if (opts.headers?.['content-length'] !== undefined) req.flushHeaders();
    else req.end();
  });
}
