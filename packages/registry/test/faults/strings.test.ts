// Issue 19, fault 5 (registry): strings PostgreSQL text/jsonb cannot hold (U+0000, lone surrogates) and bodies
// nested thousands deep are client mistakes: 400 with the field path, never a 500. A 500 that stays possible (a real
// server fault) is reported with the request id the client saw.
import type { Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../src/index.js';
import { startServer, type TestServer } from '../http-server.js';
import { fakeDigest, uniqueName } from '../registry.suite.js';

// biome-ignore lint/suspicious/noExplicitAny: tests walk response bodies freely
type Json = any;

describeStores('registry HTTP: strings the store cannot hold', (getStore) => {
  let store: Store;
  let registry: Registry;
  let open: TestServer;
  let broken: TestServer;
  const reported: { err: unknown; context: Record<string, unknown> }[] = [];
  let name: string;
  beforeAll(async () => {
    store = getStore();
    registry = await createRegistry({ store });
    open = await startServer({ registry });
    // A registry whose listModels fails as a real fault would (a dropped connection): the 500 must be reported.
    const failing = new Proxy(registry, {
      get(target, prop, receiver) {
        if (prop === 'listModels') return () => Promise.reject(new Error('connection terminated unexpectedly'));
        return Reflect.get(target, prop, receiver);
      },
    });
    broken = await startServer({
      registry: failing,
      onError: (err, context) => reported.push({ err, context: { ...context } }),
    });
    name = uniqueName();
    await registry.createModel({ name });
    for (const i of [1, 2]) {
      await registry.createVersion({ model: name, packageDigest: fakeDigest(`${name}${i}`), flavor: 'f' });
    }
    await registry.promote({ model: name, version: 1, alias: 'production' });
    await registry.promote({ model: name, version: 2, alias: 'production' });
  });
  afterAll(async () => {
    await open?.close();
    await broken?.close();
    await registry?.close();
  });

  const send = (method: string, path: string, body?: string) =>
    fetch(`${open.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
    });

  async function expect400(res: Response, path: string): Promise<Json> {
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    return body;
  }

  for (const [what, s] of [
    ['U+0000', 'a\u0000b'],
    ['a lone surrogate', 'x\ud800'],
  ] as const) {
    const j = (v: unknown) => JSON.stringify(v);
    it(`${what} in a PATCHed description, tag or tag name is a 400 with its path`, async () => {
      await expect400(await send('PATCH', `/models/${name}`, j({ description: s })), 'description');
      await expect400(await send('PATCH', `/models/${name}`, j({ tags: { team: s } })), 'tags.team');
      await expect400(await send('PATCH', `/models/${name}/versions/1`, j({ tags: { team: s } })), 'tags.team');
      const res = await send('PATCH', `/models/${name}`, j({ tags: { [`t${s}`]: 'x' } }));
      expect(res.status).toBe(400);
      expect((await registry.getModel(name)).description).toBe('');
    });

    it(`${what} in a reason is a 400 and changes nothing`, async () => {
      const before = await registry.resolve({ model: name, alias: 'production' });
      await expect400(await send('POST', `/models/${name}/aliases/production/rollback`, j({ reason: s })), 'reason');
      await expect400(
        await send('POST', `/models/${name}/aliases/production/promote`, j({ version: 1, reason: s })),
        'reason',
      );
      await expect400(await send('PUT', `/models/${name}/aliases/staging`, j({ version: 1, reason: s })), 'reason');
      await expect400(await send('DELETE', `/models/${name}/versions/1`, j({ reason: s })), 'reason');
      expect((await registry.resolve({ model: name, alias: 'production' })).version).toBe(before.version);
    });

    it(`${what} in a new model's description or a version's metrics key is a 400`, async () => {
      await expect400(await send('POST', '/models', j({ name: uniqueName(), description: s })), 'description');
      const res = await send(
        'POST',
        `/models/${name}/versions`,
        j({ packageDigest: fakeDigest(uniqueName()), flavor: 'f', metrics: { [`f1${s}`]: 1 } }),
      );
      expect(res.status).toBe(400);
    });
  }

  for (const [what, q] of [
    ['U+0000', '%00'],
    ['a lone surrogate (CESU-8)', '%ED%A0%80'],
  ] as const) {
    it(`${what} in a query string or path is a 4xx, not a 500`, async () => {
      const res = await send('GET', `/models?query=a${q}`);
      if (q === '%00') await expect400(res, 'query');
      else expect(res.status).toBeLessThan(500);
      for (const path of [
        `/models?tag.team=${q}`,
        `/models?tag.${q}=x`,
        `/audit?principal=${q}`,
        `/audit?model=${q}`,
        `/versions?model=${q}`,
        `/models/${name}/versions?tag.x=${q}`,
        `/models/${q}`,
        `/models/${name}/aliases/${q}`,
        `/events?model=${q}`,
      ]) {
        // %00 is refused; invalid UTF-8 decodes to U+FFFD, which is stored as is.
        const r = await send('GET', path);
        if (q === '%00') expect(r.status, path).toBeGreaterThanOrEqual(400);
        expect(r.status, path).toBeLessThan(500);
      }
    });
  }

  it('a gate or tags nested 100,000 deep is a 400, not a 500', async () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const deepObj = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    for (const [method, path, body] of [
      ['POST', `/models/${name}/aliases/production/promote`, `{"version": 1, "gate": {"all": ${deep}}}`],
      ['POST', `/models/${name}/aliases/production/promote`, `{"version": 1, "gate": ${deepObj}}`],
      ['PATCH', `/models/${name}`, `{"tags": ${deepObj}}`],
      ['POST', `/models/${name}/versions`, `{"packageDigest": "x", "flavor": "f", "metrics": ${deepObj}}`],
    ] as const) {
      const res = await send(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
    }
  });

  it('a server fault is a 500 without internals, reported with the request id the client saw', async () => {
    const res = await fetch(`${broken.url}/models`, { headers: { 'x-request-id': 'probe-500' } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as Json;
    expect(body.error).toEqual({
      code: 'INTERNAL',
      message: 'Internal server error',
      details: [],
      requestId: 'probe-500',
    });
    expect(res.headers.get('x-request-id')).toBe('probe-500');
    expect(reported).toHaveLength(1);
    expect(reported[0]!.context).toMatchObject({ requestId: 'probe-500', method: 'GET', path: '/registry/models' });
    expect((reported[0]!.err as Error).message).toBe('connection terminated unexpectedly');

    // Without an id from the client, one is made up, returned and reported.
    const res2 = await fetch(`${broken.url}/models`);
    const id = res2.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res2.json()) as Json).error.requestId).toBe(id);
    expect(reported[1]!.context.requestId).toBe(id);
  });

  it('client mistakes carry the request id and are not reported as faults', async () => {
    const res = await fetch(`${broken.url}/models/${uniqueName()}`, { headers: { 'x-request-id': 'probe-404' } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).error.requestId).toBe('probe-404');
    expect(reported.map((r) => r.context.requestId)).not.toContain('probe-404');
  });
});
