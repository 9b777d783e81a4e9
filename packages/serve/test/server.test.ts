import { createStore, type Store } from '@mlops/core';
import { createModelServer, type ListeningServer, METRIC_NAMES, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { json, listen, post, testPredictor } from './helpers.js';

let store: Store;
let server: ModelServer;
let http: ListeningServer;
let url: string;
const predictor = testPredictor();

beforeAll(async () => {
  store = await createStore('memory://');
  server = createModelServer({
    models: [
      { name: 'demo', predictor, version: '7' },
      { name: 'rowwise', predictor: testPredictor({ batchable: false }) },
    ],
    store,
    limits: { maxBodyBytes: 10_000 },
    defaultMetrics: false,
  });
  server.route({
    method: 'post',
    path: '/v1/echo/:id',
    summary: 'Echo for tests',
    scope: 'admin',
    params: z.object({ id: z.coerce.number().int() }),
    body: z.object({ text: z.string().max(10) }),
    response: z.object({ id: z.number(), text: z.string() }),
    handler: ({ params, body }) => ({ id: params.id, text: body.text }),
  });
  http = await listen(server);
  url = http.url;
});

afterAll(async () => {
  await http?.close();
  await store?.close();
});

describe('POST /v1/models/:name/predict', () => {
  it('predicts records with ids, model version and request id', async () => {
    const res = await post(`${url}/v1/models/demo/predict`, {
      instances: [
        { x: 1, city: 'paris' },
        { x: 2.5, city: 'lyon', v: [1, 2] },
      ],
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.model).toBe('demo');
    expect(body.version).toBe('7');
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    expect(body.predictions.map((p: { outputs: unknown }) => p.outputs)).toEqual([
      { y: 2, label: 'PARIS' },
      { y: 8, label: 'LYON' },
    ]);
    const ids = body.predictions.map((p: { id: string }) => p.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('accepts columns under "inputs" and honours a given x-request-id', async () => {
    const res = await post(
      `${url}/v1/models/demo/predict`,
      { inputs: { x: [1, 2, 3], city: ['a', 'b', 'c'] } },
      { 'x-request-id': 'req-abc.1' },
    );
    const body = await json(res);
    expect(body.requestId).toBe('req-abc.1');
    expect(body.predictions.map((p: { outputs: { y: number } }) => p.outputs.y)).toEqual([2, 4, 6]);
  });

  it('calls a non-batchable predictor one row at a time', async () => {
    const res = await post(`${url}/v1/models/rowwise/predict`, {
      instances: [
        { x: 1, city: 'a' },
        { x: 2, city: 'b' },
      ],
    });
    expect(res.status).toBe(200);
    expect((await json(res)).predictions).toHaveLength(2);
  });

  it('answers 400 with field paths for invalid records', async () => {
    const res = await post(`${url}/v1/models/demo/predict`, {
      instances: [
        { x: 1, city: 'a' },
        { x: 'no', city: 'b', zzz: 1 },
      ],
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('INVALID_INPUT');
    const paths = body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain('instances[1].x');
    expect(paths).toContain('instances[1].zzz');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts/);
  });

  it.each([
    ['both keys', { instances: [], inputs: {} }, 'instances'],
    ['neither key', { rows: [] }, 'rows'],
    ['an array body', [1, 2], '(body)'],
    ['instances not an array', { instances: { x: 1 } }, 'instances'],
    ['columns of different lengths', { inputs: { x: [1, 2], city: ['a'] } }, 'inputs.city'],
  ])('answers 400 for %s', async (_what, body, path) => {
    const res = await post(`${url}/v1/models/demo/predict`, body);
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('answers 404 for an unknown model, 415 for a wrong content type, 413 for a large body, 400 for bad JSON', async () => {
    const unknown = await post(`${url}/v1/models/nope/predict`, { instances: [] });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('NOT_FOUND');

    const text = await post(`${url}/v1/models/demo/predict`, 'x=1', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((await json(text)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const big = await post(`${url}/v1/models/demo/predict`, {
      instances: Array.from({ length: 1000 }, (_, i) => ({ x: i, city: 'abcdefgh' })),
    });
    expect(big.status).toBe(413);
    expect((await json(big)).error.code).toBe('PAYLOAD_TOO_LARGE');

    const broken = await post(`${url}/v1/models/demo/predict`, '{"instances": [', {
      'content-type': 'application/json',
    });
    expect(broken.status).toBe(400);
    expect((await json(broken)).error.code).toBe('INVALID_INPUT');
  });

  it('answers 404 in the error envelope for an unknown route', async () => {
    const res = await fetch(`${url}/nowhere`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.message).toMatch(/No route GET/);
  });
});

describe('feedback and the prediction log', () => {
  it('logs every prediction and records feedback by prediction id', async () => {
    const res = await post(`${url}/v1/models/demo/predict`, { instances: [{ x: 4, city: 'x' }] });
    const body = await json(res);
    const id = body.predictions[0].id;
    const fb = await post(`${url}/v1/feedback`, { predictionId: id, label: 'X' });
    expect(fb.status).toBe(201);
    await server.logger!.flush();
    const rows = await store.query<{ request_id: string; model: string; version: string; outputs: unknown }>(
      'SELECT request_id, model, version, outputs FROM core_predictions WHERE id = $1',
      [id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: body.requestId, model: 'demo', version: '7' });
    expect(rows[0]!.outputs).toEqual({ y: 8, label: 'X' });
    const fbRows = await store.query<{ label: unknown }>('SELECT label FROM core_feedback WHERE prediction_id = $1', [
      id,
    ]);
    expect(fbRows.map((r) => r.label)).toEqual(['X']);
  });

  it('rejects feedback without a label or with both ids, with field paths', async () => {
    const res = await post(`${url}/v1/feedback`, { predictionId: 'a', requestId: 'b' });
    expect(res.status).toBe(400);
    const res2 = await post(`${url}/v1/feedback`, { predictionId: 'a', label: 1, extra: true });
    expect(res2.status).toBe(400);
    expect((await json(res2)).error.details.map((d: { path: string }) => d.path)).toContain('extra');
  });
});

describe('extension routes', () => {
  it('validates params and body, and lists the route in openapi.json', async () => {
    const ok = await post(`${url}/v1/echo/12`, { text: 'hi' });
    expect(ok.status).toBe(200);
    expect(await json(ok)).toEqual({ id: 12, text: 'hi' });
    const bad = await post(`${url}/v1/echo/abc`, { text: 'far too long text' });
    expect(bad.status).toBe(400);
    const paths = (await json(bad)).error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['params.id', 'body.text']));
    const doc = await json(await fetch(`${url}/openapi.json`));
    expect(doc.paths['/v1/echo/{id}'].post.summary).toBe('Echo for tests');
  });
});

describe('operations endpoints', () => {
  it('serves an OpenAPI 3.1 document with each model signature', async () => {
    const doc = await json(await fetch(`${url}/openapi.json`));
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/v1/models/demo/predict'].post;
    const schema = op.requestBody.content['application/json'].schema;
    const recordProps = schema.oneOf[0].properties.instances.items.properties;
    expect(Object.keys(recordProps)).toEqual(['x', 'city', 'v']);
    expect(doc.paths['/v2/models/{name}/infer']).toBeDefined();
    expect(doc.paths['/v1/feedback']).toBeDefined();
  });

  it('serves a self-contained /docs page (no external scripts) under a strict CSP', async () => {
    const res = await fetch(`${url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('openapi.json');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
  });

  it('exports the documented metric names', async () => {
    await post(`${url}/v1/models/demo/predict`, { instances: [{ x: 1, city: 'a' }] });
    await post(`${url}/v1/models/demo/predict`, { instances: [{ x: 'bad', city: 'a' }] });
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of Object.values(METRIC_NAMES)) expect(text).toContain(`# HELP ${name}`);
    expect(text).toMatch(
      /mlops_http_requests_total\{method="POST",route="\/v1\/models\/:name\/predict",model="demo",version="7",status="200"\} \d+/,
    );
    expect(text).toMatch(/mlops_http_errors_total\{code="INVALID_INPUT",route="\/v1\/models\/:name\/predict"\} \d+/);
    expect(text).toMatch(/mlops_batch_size_rows_count\{model="demo",version="7"\} \d+/);
    expect(text).toMatch(/mlops_model_info\{model="demo",version="7",alias="",role="primary"\} 1/);
    expect(text).toMatch(/mlops_prediction_log_logged_total [1-9]/);
  });
});
