import { createStore, type Store } from '@mlops/core';
import { type CreatedApiKey, createApiKey } from '@mlops/core/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyAuthenticator, createRegistry, type Registry, registryClient } from '../src/index.js';
import { startServer, type TestServer } from './http-server.js';
import { fakeDigest, rejection, uniqueName } from './registry.suite.js';

describe('registry router over HTTP', () => {
  let store: Store;
  let registry: Registry;
  let open: TestServer;
  let secured: TestServer;
  let writerKey: CreatedApiKey;
  let readerKey: CreatedApiKey;
  beforeAll(async () => {
    store = await createStore('memory://');
    registry = await createRegistry({ store });
    open = await startServer({ registry, maxBodyBytes: 64 * 1024 });
    secured = await startServer({ registry, authenticate: apiKeyAuthenticator({ store }) });
    writerKey = await createApiKey({ store, name: 'trainer', scopes: ['registry:write'] });
    readerKey = await createApiKey({ store, name: 'dashboard', scopes: ['registry:read', 'predict'] });
  });
  afterAll(async () => {
    await open?.close();
    await secured?.close();
    await registry?.close();
    await store?.close();
  });

  const send = (url: string, method: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });

  it('answers client mistakes with typed 4xx JSON, never a 500', async () => {
    const name = uniqueName();
    await registry.createModel({ name });
    const cases: [string, string, string | undefined, number, string, string | undefined][] = [
      ['POST', '/models', '{"name": ', 400, 'INVALID_INPUT', '(body)'],
      ['POST', '/models', '[1, 2]', 400, 'INVALID_INPUT', '(body)'],
      ['POST', '/models', '{"name": "x", "color": "red"}', 400, 'INVALID_INPUT', 'color'],
      ['POST', '/models', '{"name": 42}', 400, 'INVALID_INPUT', 'name'],
      ['POST', '/models', `{"name": "${name}"}`, 409, 'CONFLICT', undefined],
      ['GET', `/models/${uniqueName()}`, undefined, 404, 'NOT_FOUND', undefined],
      ['GET', `/models/${name}/versions/abc`, undefined, 400, 'INVALID_INPUT', 'version'],
      ['GET', `/models/${name}/versions?limit=0`, undefined, 400, 'INVALID_INPUT', 'limit'],
      ['GET', `/models/${name}/versions?colour=red`, undefined, 400, 'INVALID_INPUT', 'colour'],
      ['GET', '/models?limit=1&limit=2', undefined, 400, 'INVALID_INPUT', 'limit'],
      ['GET', `/models/${name}/decisions?passed=maybe`, undefined, 400, 'INVALID_INPUT', 'passed'],
      ['PUT', `/models/${name}/aliases/prod`, '{"version": "one"}', 400, 'INVALID_INPUT', 'version'],
      ['PUT', `/models/${name}/aliases/prod`, '{"version": 1, "model": "other"}', 400, 'INVALID_INPUT', 'model'],
      [
        'POST',
        `/models/${name}/aliases/prod/promote`,
        '{"version": 1, "gate": {"metric": "f1"}}',
        400,
        'INVALID_INPUT',
        'gate',
      ],
      ['POST', `/models/${name}/aliases/prod/rollback`, '{}', 409, 'CONFLICT', undefined],
      [
        'POST',
        `/models/${name}/versions`,
        `{"flavor": "f", "packageDigest": "${'x'.repeat(70 * 1024)}"}`,
        413,
        'PAYLOAD_TOO_LARGE',
        '(body)',
      ],
      ['GET', `/models/${name}/nope`, undefined, 404, 'NOT_FOUND', undefined],
      ['DELETE', '/audit', undefined, 405, 'METHOD_NOT_ALLOWED', '(method)'],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const res = await send(`${open.url}${path}`, method, body);
      const json = (await res.json()) as { error: { code: string; message: string; details?: { path: string }[] } };
      expect([method, path, res.status, json.error.code]).toEqual([method, path, status, code]);
      expect(json.error.message).not.toMatch(/at .*\.ts:\d+|SELECT|INSERT/);
      if (field !== undefined) expect(json.error.details?.[0]?.path).toBe(field);
    }
  });

  it('returns 201 on creation, 204 on deletion and 422 with the evidence on a failed gate', async () => {
    const name = uniqueName();
    const created = await send(`${open.url}/models`, 'POST', JSON.stringify({ name }));
    expect(created.status).toBe(201);
    const v = await send(
      `${open.url}/models/${name}/versions`,
      'POST',
      JSON.stringify({ packageDigest: fakeDigest(name), flavor: 'f', metrics: { f1: 0.5 } }),
    );
    expect(v.status).toBe(201);
    const gate = await send(
      `${open.url}/models/${name}/aliases/production/promote`,
      'POST',
      JSON.stringify({ version: 1, gate: { metric: 'f1', op: 'gte', value: 0.9 } }),
    );
    expect(gate.status).toBe(422);
    const body = (await gate.json()) as { error: { code: string; context: { decision: { evidence: unknown } } } };
    expect(body.error.code).toBe('GATE_FAILED');
    expect(body.error.context.decision.evidence).toMatchObject({ result: { actual: 0.5, value: 0.9, passed: false } });
    const del = await send(`${open.url}/models/${name}/versions/1`, 'DELETE');
    expect(del.status).toBe(204);
  });

  it('with auth on: 401 without a key, 403 without registry:write, and records the key principal', async () => {
    const name = uniqueName();
    expect((await send(`${secured.url}/models`, 'GET')).status).toBe(401);
    const anon = await send(`${secured.url}/models`, 'POST', JSON.stringify({ name }));
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');

    const reader = registryClient(secured.url, { apiKey: readerKey.key });
    const writer = registryClient(secured.url, { apiKey: writerKey.key });
    const forged = registryClient(secured.url, { apiKey: `${writerKey.key.slice(0, -4)}AAAA` });
    expect((await rejection(forged.getModel(name))).code).toBe('UNAUTHORIZED');
    expect((await rejection(reader.createModel({ name }))).code).toBe('FORBIDDEN');
    // The body cannot claim someone else's identity when auth is on.
    const model = await writer.createModel({ name, principal: 'someone-else' });
    expect(model.createdBy).toBe(`apikey:trainer#${writerKey.id}`);
    expect((await reader.getModel(name)).name).toBe(name);
    const viaHeader = await fetch(`${secured.url}/models/${name}`, { headers: { 'x-api-key': readerKey.key } });
    expect(viaHeader.status).toBe(200);
    const log = await reader.listAudit({ model: name });
    expect(log.items.map((e) => [e.action, e.principal])).toEqual([
      ['model.created', `apikey:trainer#${writerKey.id}`],
    ]);
    const events = await fetch(`${secured.url}/events`);
    expect(events.status).toBe(401);
  });

  it('streams change events as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${open.url}/events`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const name = uniqueName();
    await registry.createModel({ name, principal: 'sse' });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(name)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect(text).toMatch(/^: subscribed\n\n/);
    const frame = text.split('\n\n').find((f) => f.includes(name))!;
    expect(frame).toMatch(/^id: \d+\nevent: change\ndata: \{/);
    expect(JSON.parse(frame.split('data: ')[1]!)).toMatchObject({
      action: 'model.created',
      model: name,
      principal: 'sse',
    });
  });

  it('reports an unreachable server as an error, not a hang', async () => {
    const client = registryClient('http://127.0.0.1:9/registry');
    const err = await rejection(client.getModel('x'));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/Could not reach/);
  });
});
