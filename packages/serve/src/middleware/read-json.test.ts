import { request as httpRequest, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { errorResponse } from '@mlops/core/http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from './read-json.js';

const LIMIT = 64;
let server: Server;
let base: string;
let fallbackCalls = 0;

beforeAll(async () => {
  const app = express();
  const fallback = express.json({ limit: LIMIT, strict: true, type: () => true });
  app.post(
    '/echo',
    readJson(LIMIT, (req, res, next) => {
      fallbackCalls++;
      fallback(req, res, next);
    }),
    (req, res) => {
      res.json({ body: req.body === undefined ? '(undefined)' : req.body });
    },
  );
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = errorResponse(err, 'r');
    res.status(e.status).json({ ...e.body, type: (err as { type?: string }).type });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends raw bytes (optionally chunked: no Content-Length) and resolves with status and parsed body. */
function post(
  body: Buffer | string | undefined,
  headers: Record<string, string> = {},
  chunked = false,
): Promise<{ status: number; body: { body?: unknown; error?: { code: string }; type?: string } }> {
  return new Promise((resolve, reject) => {
    const buf = body === undefined ? undefined : Buffer.from(body);
    const req = httpRequest(
      `${base}/echo`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(buf && !chunked ? { 'content-length': String(buf.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    if (buf && chunked) {
      // Two writes: the body arrives in pieces, without a length.
      req.write(buf.subarray(0, Math.floor(buf.length / 2)));
      req.end(buf.subarray(Math.floor(buf.length / 2)));
    } else req.end(buf);
  });
}

describe('readJson', () => {
  it('parses a plain UTF-8 body, in one piece or in chunks, with a byte order mark dropped', async () => {
    expect(await post('{"a":[1,2],"é":"ü"}')).toEqual({ status: 200, body: { body: { a: [1, 2], é: 'ü' } } });
    expect(await post('[1, 2, 3]', {}, true)).toEqual({ status: 200, body: { body: [1, 2, 3] } });
    expect(await post('\uFEFF  {"x":1}')).toEqual({ status: 200, body: { body: { x: 1 } } });
  });

  it('reads an empty body as {} and a request without a body as undefined, as body-parser does', async () => {
    expect(await post('')).toEqual({ status: 200, body: { body: {} } });
    expect(await post(undefined)).toEqual({ status: 200, body: { body: {} } }); // Node sends Content-Length: 0
    // No length and no transfer encoding: no body at all.
    const req = { headers: { 'content-type': 'application/json' }, readableEnded: false, body: 'stale' };
    let nextArgs: unknown[] | undefined;
    readJson(LIMIT, () => {
      throw new Error('not the fallback');
    })(req as never, {} as never, (...args: unknown[]) => {
      nextArgs = args;
    });
    expect(nextArgs).toEqual([]);
    expect(req.body).toBeUndefined();
  });

  it('refuses invalid JSON and a bare JSON value (strict) with body-parser’s 400', async () => {
    for (const text of ['{"a":', '"just a string"', '42', 'nul']) {
      const r = await post(text);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'INVALID_INPUT' }, type: 'entity.parse.failed' });
    }
  });

  it('refuses a body over the limit with 413: announced, or streamed without a length', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(LIMIT) });
    expect(await post(big)).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(await post(big, {}, true)).toMatchObject({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE' }, type: 'entity.too.large' },
    });
  });

  it('leaves compressed bodies and other charsets to the fallback parser', async () => {
    const before = fallbackCalls;
    const gz = await post(gzipSync('{"zipped":true}'), { 'content-encoding': 'gzip' });
    expect(gz).toEqual({ status: 200, body: { body: { zipped: true } } });
    const latin = await post('{"a":1}', { 'content-type': 'application/json; charset=latin1' });
    expect(latin).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect(fallbackCalls).toBe(before + 2);
    await post('{"a":1}');
    expect(fallbackCalls).toBe(before + 2);
  });
});
