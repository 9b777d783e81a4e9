// Issue 19, fault 6: cross-site writes and bodies read before auth. A web page can send a CORS "simple request"
// (POST with text/plain, a form type, or no body) to a loopback registry without a preflight: writes must require
// application/json (415 otherwise) and change nothing. Auth comes first: an unauthenticated client never gets its
// body read, and an authenticated one gets the same limits as predict (413 at once when Content-Length is over).
import { request } from 'node:http';
import type { Store } from '@mlops/core';
import { type CreatedApiKey, createApiKey } from '@mlops/core/auth';
import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiKeyAuthenticator, createRegistry, type Registry } from '../../src/index.js';
import { startServer, type TestServer } from '../http-server.js';
import { fakeDigest, uniqueName } from '../registry.suite.js';

// biome-ignore lint/suspicious/noExplicitAny: tests walk response bodies freely
type Json = any;

/**
 * Sends the headers and only `sent` bytes of a body announced as `length` bytes, and resolves with the response the
 * server gives while the rest is still missing (rejects if none comes within a generous 10 s: the server is waiting
 * for the body).
 */
function partialBody(
  url: string,
  method: string,
  headers: Record<string, string>,
  length: number,
  sent = 1024,
): Promise<{ status: number; body: Json; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': String(length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), connection: res.headers.connection });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer while the body was incomplete: the server waits to read ${length} bytes`));
    }, 10_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.write(`{"reason": "${'x'.repeat(Math.max(0, sent - 13))}`);
    // The rest of the body is never sent.
  });
}

describeStores('registry HTTP writes', (getStore) => {
  let store: Store;
  let registry: Registry;
  let open: TestServer;
  let secured: TestServer;
  let writer: CreatedApiKey;
  let reader: CreatedApiKey;
  let name: string;
  beforeAll(async () => {
    store = getStore();
    registry = await createRegistry({ store });
    open = await startServer({ registry });
    secured = await startServer({ registry, authenticate: apiKeyAuthenticator({ store }), maxBodyBytes: 64 * 1024 });
    writer = await createApiKey({ store, name: 'deployer', scopes: ['registry:write'] });
    reader = await createApiKey({ store, name: 'viewer', scopes: ['registry:read'] });
    name = uniqueName();
    await registry.createModel({ name });
    for (const i of [1, 2, 3]) {
      await registry.createVersion({ model: name, packageDigest: fakeDigest(`${name}${i}`), flavor: 'f' });
      await registry.promote({ model: name, version: i, alias: 'production' });
    }
  });
  afterAll(async () => {
    await open?.close();
    await secured?.close();
    await registry?.close();
  });

  const production = async () => (await registry.resolve({ model: name, alias: 'production' })).version;

  for (const [what, headers, body] of [
    ['text/plain', { 'content-type': 'text/plain' }, '{"reason": "cross-site"}'],
    ['text/plain;charset=UTF-8', { 'content-type': 'text/plain;charset=UTF-8' }, '{}'],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'reason=cross-site'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
    ['no content type', {}, '{"reason": "cross-site"}'],
    ['no content type and no body', {}, undefined],
    ['a JSON charset the server does not read', { 'content-type': 'application/json; charset=latin1' }, '{}'],
  ] as const) {
    it(`POST …/aliases/production/rollback with ${what} is a 415 and the alias is unchanged`, async () => {
      const before = await production();
      const res = await fetch(`${open.url}/models/${name}/aliases/production/rollback`, {
        method: 'POST',
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const json = (await res.json()) as Json;
      expect(res.status, JSON.stringify(json)).toBe(415);
      expect(json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(json.error.details).toEqual([{ path: '(headers).content-type', message: expect.any(String) }]);
      expect(await production()).toBe(before);
      expect((await registry.listAudit({ model: name, limit: 100 })).items.map((a) => a.action)).not.toContain(
        'rollback',
      );
    });
  }

  it('every write method needs JSON; a DELETE without a body needs no content type', async () => {
    const v = await registry.createVersion({ model: name, packageDigest: fakeDigest(uniqueName()), flavor: 'f' });
    for (const [method, path] of [
      ['POST', '/models'],
      ['POST', `/models/${name}/versions`],
      ['PATCH', `/models/${name}`],
      ['PUT', `/models/${name}/aliases/staging`],
      ['POST', `/models/${name}/aliases/production/promote`],
      ['DELETE', `/models/${name}/versions/${v.version}`],
    ] as const) {
      const res = await fetch(`${open.url}${path}`, {
        method,
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      });
      expect(res.status, `${method} ${path}`).toBe(415);
    }
    const del = await fetch(`${open.url}/models/${name}/versions/${v.version}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
  });

  it('the same rollback with application/json works (and +json types are JSON)', async () => {
    const before = await production();
    const res = await fetch(`${open.url}/models/${name}/aliases/production/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"reason": "same-site"}',
    });
    expect(res.status).toBe(200);
    expect(await production()).toBe(before - 1);
    const res2 = await fetch(`${open.url}/models/${name}/aliases/production/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{}',
    });
    expect(res2.status).toBe(200);
    expect(await production()).toBe(before - 2);
  });

  it('an unauthenticated write is a 401 before its body is read (the body never finishes)', async () => {
    const url = `${secured.url}/models/${name}/aliases/production/rollback`;
    const json = { 'content-type': 'application/json' };
    const r = await partialBody(url, 'POST', json, 8 * 1024 * 1024);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHORIZED');
    expect(r.connection).toBe('close');
    const bad = await partialBody(url, 'POST', { ...json, authorization: 'Bearer mlk_nope' }, 8 * 1024 * 1024);
    expect(bad.status).toBe(401);
    // A key without the scope: 403, also before the body.
    const weak = await partialBody(url, 'POST', { ...json, authorization: `Bearer ${reader.key}` }, 8 * 1024 * 1024);
    expect(weak.status).toBe(403);
  });

  it('an authenticated write over the limit is a 413 at once; text/plain is a 415 before the body', async () => {
    const url = `${secured.url}/models/${name}/aliases/production/rollback`;
    const auth = { authorization: `Bearer ${writer.key}` };
    const big = await partialBody(url, 'POST', { ...auth, 'content-type': 'application/json' }, 64 * 1024 + 1);
    expect(big.status).toBe(413);
    expect(big.body.error.details).toEqual([{ path: '(body)', message: expect.any(String) }]);
    const plain = await partialBody(url, 'POST', { ...auth, 'content-type': 'text/plain' }, 32 * 1024);
    expect(plain.status).toBe(415);
    for (const i of [1, 2]) {
      const v = await registry.createVersion({ model: name, packageDigest: fakeDigest(`${name}-a${i}`), flavor: 'f' });
      await registry.promote({ model: name, version: v.version, alias: 'production' });
    }
    const before = await production();
    const ok = await fetch(url, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"reason": "authenticated"}',
    });
    expect(ok.status).toBe(200);
    expect(await production()).toBe(before - 1);
    const entry = (await registry.listAudit({ model: name, limit: 1 })).items[0]!;
    expect(entry.principal).toBe(`apikey:deployer#${writer.id}`);
  });

  it('reads need no content type, and the body limit still applies to authenticated JSON', async () => {
    const res = await fetch(`${open.url}/models/${name}`, { headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    const auth = { authorization: `Bearer ${writer.key}`, 'content-type': 'application/json' };
    const huge = await fetch(`${secured.url}/models/${name}`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ description: 'x'.repeat(70 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });
});
