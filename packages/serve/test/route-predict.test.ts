import { type Columns, createStore, type Store } from '@mlops/core';
import { readPredictions } from '@mlops/core/predictions';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { json, listen, post, testPredictor } from './helpers.js';

// An extension route that calls two models per request, like the IT-tickets triage route.

let store: Store;
let server: ModelServer;
let http: ListeningServer;
let url: string;
const topic = testPredictor();
const urgency = testPredictor({ batchable: false });

const triageResponse = z.object({
  topic: z.string(),
  topicVersion: z.string(),
  urgency: z.number(),
  predictionIds: z.array(z.string()),
});

beforeAll(async () => {
  store = await createStore('memory://');
  server = createModelServer({
    models: [
      { name: 'topic', predictor: topic, version: '3' },
      { name: 'urgency', predictor: urgency, version: '5' },
    ],
    store,
    monitoring: false,
    defaultMetrics: false,
  });
  server.route({
    method: 'post',
    path: '/tickets/triage',
    scope: 'predict',
    body: z.object({ text: z.string(), x: z.unknown(), model: z.string().default('topic') }),
    response: triageResponse,
    handler: async (ctx) => {
      const t = await ctx.predict(ctx.body.model, { x: [ctx.body.x] as number[], city: [ctx.body.text] });
      const u = await ctx.predict('urgency', { x: new Float64Array([10]), city: ['u'] });
      return {
        topic: String((t.outputs.label as string[])[0]),
        topicVersion: t.version,
        urgency: Number((u.outputs.y as Float64Array)[0]),
        predictionIds: [...t.predictionIds, ...u.predictionIds],
      };
    },
  });
  http = await listen(server);
  url = http.url;
});

afterAll(async () => {
  await http?.close();
  await store?.close();
});

const logged = async (requestId: string) => {
  await server.logger!.flush();
  return store.query<{ id: string; model: string; version: string; outputs: Record<string, unknown> }>(
    'SELECT id, model, version, outputs FROM core_predictions WHERE request_id = $1 ORDER BY model',
    [requestId],
  );
};

describe('ctx.predict in an extension route', () => {
  it('logs one prediction per model call under the request id, through the models', async () => {
    const res = await post(`${url}/tickets/triage`, { text: 'printer', x: 2 }, { 'x-request-id': 'triage-1' });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ topic: 'PRINTER', topicVersion: '3', urgency: 20 });
    const rows = await logged('triage-1');
    expect(rows.map((r) => [r.model, r.version])).toEqual([
      ['topic', '3'],
      ['urgency', '5'],
    ]);
    expect(rows.map((r) => r.id).sort()).toEqual([...body.predictionIds].sort());
    expect(rows[0]!.outputs).toEqual({ y: 4, label: 'PRINTER' });
  });

  it('counts the predictions in /metrics per model', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/mlops_predictions_total\{model="urgency",version="5"\} [1-9]/);
    expect(text).toMatch(/mlops_predictions_total\{model="topic",version="3"\} [1-9]/);
  });

  it('answers 400 with field paths under inputs when the inputs do not fit the signature', async () => {
    const res = await post(`${url}/tickets/triage`, { text: 'printer', x: 'not a number' });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.details.map((d: { path: string }) => d.path)).toContain('inputs.x[0]');
  });

  it('answers 404 for a model that is not served', async () => {
    const res = await post(`${url}/tickets/triage`, { text: 'printer', x: 1, model: 'nope' });
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.details).toEqual([{ path: 'model', message: 'Unknown model' }]);
  });
});

describe('server.predict', () => {
  it('predicts typed columns without HTTP and logs them under the given request id', async () => {
    const inputs: Columns = { x: new Float64Array([1, 2]), city: ['a', 'b'], v: [new Float32Array([1, 1]), null] };
    const r = await server.predict('topic', inputs, { requestId: 'code-1' });
    expect(r).toMatchObject({ model: 'topic', version: '3', requestId: 'code-1' });
    expect(Array.from(r.outputs.y as Float64Array)).toEqual([4, 4]);
    expect(r.predictionIds).toHaveLength(2);
    const rows = await logged('code-1');
    expect(rows.map((x) => x.id).sort()).toEqual([...r.predictionIds].sort());
  });

  it('rejects a version that is not served and a bad request id with typed errors', async () => {
    await expect(server.predict('topic', { x: [1], city: ['a'] }, { version: '9' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(server.predict('topic', { x: [1], city: ['a'] }, { requestId: 'has spaces' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(server.predict('topic', { x: [1] }, { version: '3' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: [{ path: 'inputs.city' }],
    });
  });
});

describe('feedback for one model of a triage request', () => {
  const feedbackOf = async (model: string, requestId: string) => {
    await server.logger!.flush();
    const rows = await readPredictions({ store, model, withFeedback: true, limit: 1000 });
    return rows.find((r) => r.requestId === requestId)?.feedback ?? null;
  };

  it('applies `model` feedback only to that model, and `labels` per model', async () => {
    const r1 = await post(`${url}/tickets/triage`, { text: 'vpn', x: 1 }, { 'x-request-id': 'triage-fb-1' });
    expect(r1.status).toBe(200);
    const fb1 = await post(`${url}/v1/feedback`, { requestId: 'triage-fb-1', model: 'topic', label: 'network' });
    expect(fb1.status).toBe(201);
    expect(await feedbackOf('topic', 'triage-fb-1')).toMatchObject({ label: 'network', matchedBy: 'model' });
    expect(await feedbackOf('urgency', 'triage-fb-1')).toBeNull();

    const r2 = await post(`${url}/tickets/triage`, { text: 'vpn', x: 1 }, { 'x-request-id': 'triage-fb-2' });
    expect(r2.status).toBe(200);
    const fb2 = await post(`${url}/v1/feedback`, { requestId: 'triage-fb-2', labels: { topic: 'vpn', urgency: 3 } });
    expect(fb2.status).toBe(201);
    expect((await json(fb2)).ids).toHaveLength(2);
    expect(await feedbackOf('topic', 'triage-fb-2')).toMatchObject({ label: 'vpn', matchedBy: 'model' });
    expect(await feedbackOf('urgency', 'triage-fb-2')).toMatchObject({ label: 3, matchedBy: 'model' });
  });

  it('answers 400 with field paths for labels mixed with label, or model with predictionId', async () => {
    const a = await post(`${url}/v1/feedback`, { requestId: 'r', labels: { topic: 'a' }, label: 'b' });
    expect(a.status).toBe(400);
    expect((await json(a)).error.details.map((d: { path: string }) => d.path)).toEqual(['label']);
    const b = await post(`${url}/v1/feedback`, { predictionId: 'p', model: 'topic', label: 'b' });
    expect(b.status).toBe(400);
    expect((await json(b)).error.details.map((d: { path: string }) => d.path)).toEqual(['model']);
  });

  it('documents model and labels in /openapi.json', async () => {
    const doc = await json(await fetch(`${url}/openapi.json`));
    const schema = doc.paths['/v1/feedback'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['model', 'labels']));
  });
});
