/**
 * One error contract across packages (issue 22): a model server with the registry router, an extension route, the
 * retrain route and the dashboard API mounted on it, every error body checked against core's `errorBodySchema` and
 * every status against core's `httpStatusOf`. It lives in the dashboard's tests because the dashboard is the package
 * that depends on all the others it mounts (serve, registry, pipelines).
 */
import { createStore, type Predictor, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { errorBodySchema, HTTP_ERROR_CODES, HttpError, type HttpErrorCode, httpStatusOf } from '@mlops/core/http';
import { createRetrainRoute, createRetrainRunner } from '@mlops/pipelines';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDashboard, type Dashboard } from '../src/index.js';

const signature = {
  inputs: [{ name: 'x', type: 'float64' as const, shape: [] }],
  outputs: [{ name: 'y', type: 'float64' as const, shape: [] }],
};
const predictor = (delayMs = 0): Predictor => ({
  signature,
  batchable: false,
  async predict(inputs) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return { y: inputs.x as Float64Array };
  },
});

let store: Store;
let registry: Registry;
let dashboard: Dashboard;
let http: ListeningServer;
const keys: Record<'admin' | 'predict' | 'read', string> = { admin: '', predict: '', read: '' };
const seen = new Set<HttpErrorCode>();
/** Server faults the model server reported (the INTERNAL probes, and anything unexpected). */
const faults: unknown[] = [];

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  keys.admin = (await createApiKey({ store, name: 'admin', scopes: ['admin'] })).key;
  keys.predict = (await createApiKey({ store, name: 'predict', scopes: ['predict'] })).key;
  keys.read = (await createApiKey({ store, name: 'read', scopes: ['registry:read'] })).key;
  // A public bind address: auth is on (tests still listen on 127.0.0.1).
  const server = createModelServer({
    models: [
      { name: 'm', predictor: predictor() },
      { name: 'slow', predictor: predictor(2_000) },
    ],
    store,
    host: '0.0.0.0',
    defaultMetrics: false,
    limits: { maxBodyBytes: 4096, requestTimeoutMs: 100 },
    onError: (err) => faults.push(err),
  });
  server.route({
    method: 'get',
    path: '/v1/echo/:n',
    scope: null,
    params: z.object({ n: z.coerce.number().int() }),
    response: z.object({ n: z.number() }),
    handler: ({ params }) => params,
  });
  // Answers every code of the table, so each one's status and body are checked through the real error handler.
  server.route({
    method: 'get',
    path: '/v1/fail/:code',
    scope: null,
    params: z.object({ code: z.string() }),
    handler: ({ params }) => {
      if (params.code === 'plain') throw new Error('SELECT secret FROM internals');
      throw new HttpError(params.code as HttpErrorCode, {
        message: `fails with ${params.code}`,
        details: [{ path: 'x', message: 'y' }],
      });
    },
  });
  server.route(createRetrainRoute({ runner: createRetrainRunner({ store, targets: {} }) }));
  server.mount(
    '/registry',
    createRegistryRouter({
      registry,
      authenticate: (req, scope) => server.authenticate(req, scope),
      maxBodyBytes: 4096,
      onError: () => {},
    }),
  );
  dashboard = createDashboard({ store, registry, host: '0.0.0.0', onError: () => {}, onWarning: () => {} });
  server.mount('/ui', dashboard.router);
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
});

afterAll(async () => {
  await http?.close();
  await dashboard?.close();
  await registry?.close();
  await store?.close();
});

interface Case {
  method?: string;
  path: string;
  key?: keyof typeof keys;
  body?: string;
  type?: string;
  code: HttpErrorCode;
  field?: string;
}

/** Sends a request and checks its error body and status against the one contract; returns the error. */
async function expectError(c: Case) {
  const headers: Record<string, string> = {};
  if (c.key) headers.authorization = `Bearer ${keys[c.key]}`;
  if (c.body !== undefined) headers['content-type'] = c.type ?? 'application/json';
  const res = await fetch(`${http.url}${c.path}`, { method: c.method ?? 'GET', headers, body: c.body });
  const text = await res.text();
  const what = `${c.method ?? 'GET'} ${c.path} → ${res.status} ${text.slice(0, 300)}`;
  const parsed = errorBodySchema.safeParse(JSON.parse(text));
  expect(parsed.error, what).toBeUndefined();
  const error = parsed.data!.error;
  expect(error.code, what).toBe(c.code);
  expect(res.status, what).toBe(httpStatusOf(c.code));
  expect(error.requestId, what).toBe(res.headers.get('x-request-id'));
  expect(text, what).not.toMatch(/\n\s+at |SELECT|node_modules/);
  if (c.field !== undefined)
    expect(
      error.details.map((d) => d.path),
      what,
    ).toContain(c.field);
  seen.add(error.code);
  return error;
}

const json = (v: unknown) => JSON.stringify(v);
const digest = `sha256:${'ab'.repeat(32)}`;

describe('the model server (v1 and extension routes)', () => {
  it.each<Case>([
    { method: 'POST', path: '/v1/models/m/predict', body: json({ instances: [{ x: 1 }] }), code: 'UNAUTHORIZED' },
    {
      method: 'POST',
      path: '/v1/models/m/predict',
      key: 'read',
      body: json({ instances: [{ x: 1 }] }),
      code: 'FORBIDDEN',
    },
    {
      method: 'POST',
      path: '/v1/models/m/predict',
      key: 'predict',
      body: json({ instances: [{ x: 'one' }] }),
      code: 'INVALID_INPUT',
      field: 'instances[0].x',
    },
    {
      method: 'POST',
      path: '/v1/models/m/predict',
      key: 'predict',
      body: '{"instances": [',
      code: 'INVALID_INPUT',
      field: '(body)',
    },
    {
      method: 'POST',
      path: '/v1/models/nope/predict',
      key: 'predict',
      body: json({ instances: [{ x: 1 }] }),
      code: 'NOT_FOUND',
    },
    {
      method: 'POST',
      path: '/v1/models/m/predict',
      key: 'predict',
      body: 'x=1',
      type: 'text/plain',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      method: 'POST',
      path: '/v1/models/m/predict',
      key: 'predict',
      body: json({ instances: Array.from({ length: 500 }, (_, i) => ({ x: i })) }),
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      method: 'POST',
      path: '/v1/models/slow/predict',
      key: 'predict',
      body: json({ instances: [{ x: 1 }] }),
      code: 'TIMEOUT',
    },
    { path: '/nowhere', key: 'admin', code: 'NOT_FOUND', field: '(path)' },
    { path: '/v1/echo/abc', code: 'INVALID_INPUT', field: 'params.n' },
    { path: '/v1/fail/plain', code: 'INTERNAL' },
  ])('$method $path ($code)', async (c) => {
    await expectError(c);
  });

  it('an error of every code of the table has its status and the one body; 5xx without details', async () => {
    for (const code of HTTP_ERROR_CODES) {
      const error = await expectError({
        path: `/v1/fail/${code}`,
        code: httpStatusOf(code) === 500 ? 'INTERNAL' : code,
      });
      if (httpStatusOf(code) >= 500) expect(error.details, code).toEqual([]);
      if (httpStatusOf(code) === 500) expect(error.message, code).toBe('Internal server error');
      else expect(error.message, code).toBe(`fails with ${code}`);
    }
  });

  it('the retrain route answers the one body', async () => {
    await expectError({ method: 'POST', path: '/v1/models/x/retrain', body: json({}), code: 'UNAUTHORIZED' });
    await expectError({
      method: 'POST',
      path: '/v1/models/x/retrain',
      key: 'admin',
      body: json({ force: 'yes' }),
      code: 'INVALID_INPUT',
      field: 'body.force',
    });
    await expectError({
      method: 'POST',
      path: '/v1/models/x/retrain',
      key: 'admin',
      body: json({}),
      code: 'NOT_FOUND',
    });
  });

  it('the Open Inference Protocol v2 routes keep the string form', async () => {
    const res = await fetch(`${http.url}/v2/models/nope/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.predict}`, 'content-type': 'application/json' },
      body: json({ inputs: [] }),
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: unknown; code: string };
    expect(typeof body.error).toBe('string');
    expect(body.code).toBe('NOT_FOUND');
    expect(errorBodySchema.safeParse(body).success).toBe(false);
  });
});

describe('the registry router mounted on the server', () => {
  it('answers every client mistake in the one body with the status of the one table', async () => {
    await expectError({ path: '/registry/models', code: 'UNAUTHORIZED' });
    await expectError({ path: '/registry/models', key: 'predict', code: 'FORBIDDEN' });
    await expectError({ path: '/registry/models/nope', key: 'read', code: 'NOT_FOUND' });
    await expectError({ path: '/registry/nope', key: 'read', code: 'NOT_FOUND' });
    await expectError({ path: '/registry/models?limit=abc', key: 'read', code: 'INVALID_INPUT', field: 'limit' });
    await expectError({
      method: 'POST',
      path: '/registry/models',
      key: 'admin',
      body: 'name=x',
      type: 'text/plain',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    await expectError({
      method: 'POST',
      path: '/registry/models',
      key: 'admin',
      body: json({ name: 'x'.repeat(5000) }),
      code: 'PAYLOAD_TOO_LARGE',
    });
    await expectError({ method: 'POST', path: '/registry/models', key: 'admin', body: '{', code: 'INVALID_INPUT' });
    await expectError({
      method: 'POST',
      path: '/registry/models',
      key: 'admin',
      body: json({ name: 'bad name!' }),
      code: 'INVALID_INPUT',
      field: 'name',
    });
    const created = await fetch(`${http.url}/registry/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body: json({ name: 'churn' }),
    });
    expect(created.status).toBe(201);
    await expectError({
      method: 'POST',
      path: '/registry/models',
      key: 'admin',
      body: json({ name: 'churn' }),
      code: 'CONFLICT',
    });
    await registry.createVersion({ model: 'churn', packageDigest: digest, flavor: 'f', metrics: { f1: 0.5 } });
    const gate = await expectError({
      method: 'POST',
      path: '/registry/models/churn/aliases/production/promote',
      key: 'admin',
      body: json({ version: 1, gate: { metric: 'f1', op: 'gte', value: 0.9 } }),
      code: 'GATE_FAILED',
    });
    expect(gate.context).toMatchObject({ decision: { passed: false } });
    await expectError({
      method: 'POST',
      path: '/registry/models/churn/aliases/production/rollback',
      key: 'admin',
      body: json({}),
      code: 'CONFLICT',
    });
  });
});

describe('the OpenAPI document of the server', () => {
  it('lists the mounted registry routes under their path, with their scope and schemas', async () => {
    const res = await fetch(`${http.url}/openapi.json`, { headers: { authorization: `Bearer ${keys.admin}` } });
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { tags?: string[]; requestBody?: unknown; security?: unknown }>>;
    };
    const fault = faults.at(-1) as Error | undefined;
    expect(res.status, `${fault?.message} ${fault?.stack?.slice(0, 600)}`).toBe(200);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/registry/models',
        '/registry/models/{model}',
        '/registry/models/{model}/versions/{version}',
        '/registry/models/{model}/aliases/{alias}/promote',
        '/registry/events',
      ]),
    );
    const promote = doc.paths['/registry/models/{model}/aliases/{alias}/promote']!.post!;
    expect(promote.tags).toEqual(['registry']);
    expect(promote.requestBody).toBeDefined();
    expect(promote.security).toBeDefined();
  });
});

describe('the dashboard API mounted on the server', () => {
  it('answers every client mistake in the one body with the status of the one table', async () => {
    await expectError({ path: '/ui/api/models', code: 'UNAUTHORIZED' });
    await expectError({ path: '/ui/api/models', key: 'predict', code: 'FORBIDDEN' });
    await expectError({ path: '/ui/api/nope', key: 'read', code: 'NOT_FOUND' });
    await expectError({ path: '/ui/api/models/nope', key: 'read', code: 'NOT_FOUND' });
    await expectError({ path: '/ui/api/runs?limit=abc', key: 'read', code: 'INVALID_INPUT' });
    await expectError({
      method: 'POST',
      path: '/ui/api/models/churn/promote',
      key: 'admin',
      body: 'x',
      type: 'text/plain',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    await expectError({
      method: 'POST',
      path: '/ui/api/models/churn/promote',
      key: 'admin',
      body: json({ alias: 'production' }),
      code: 'INVALID_INPUT',
    });
  });
});

it('every code a client can cause was provoked through a real route', () => {
  const clientCodes = HTTP_ERROR_CODES.filter((c) => httpStatusOf(c) < 500).sort();
  // Codes no request can cause on these servers: INVALID_URL (no route takes a URL), VALIDATION_FAILED (data
  // validation steps of pipelines), RATE_LIMITED (answered by upstream services only), METHOD_NOT_ALLOWED (unused).
  const notCausable = ['INVALID_URL', 'METHOD_NOT_ALLOWED', 'RATE_LIMITED', 'VALIDATION_FAILED'];
  expect(clientCodes.filter((c) => !notCausable.includes(c) && !seen.has(c))).toEqual([]);
});
