// A model's predictor is the server's dependency, not the client: what it throws is a server fault (500, reported to
// onError, message hidden), whatever the error looks like. Before the fix an error that carried an HTTP-ish `status`
// or `statusCode` (an SDK's error, an http-errors error) was read as a client error: `{ status: 401, expose: true }`
// answered 400 with the predictor's own message (secrets and all), `{ statusCode: 404 }` answered 404 NOT_FOUND,
// and neither reached onError. A predictor's own typed refusal of the input (MlopsError INVALID_INPUT) still answers
// 400, and credentials or things an upstream service refused (UNAUTHORIZED, FORBIDDEN, NOT_FOUND: an LLM provider's
// 401 becomes such an error) are a bad gateway (502), not the client's missing key or unknown route.
import { MlopsError, type Predictor } from '@mlops/core';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterEach, describe, expect, it } from 'vitest';
import { json, listen, post, testPredictor } from '../helpers.js';

const row = { instances: [{ x: 1, city: 'c' }] };
const v2Row = {
  inputs: [
    { name: 'x', shape: [1], datatype: 'FP64', data: [1] },
    { name: 'city', shape: [1], datatype: 'BYTES', data: ['c'] },
  ],
};

function failing(err: () => unknown, batchable = true): Predictor {
  return {
    ...testPredictor({ batchable }),
    predict: async () => {
      throw err();
    },
  };
}

let http: ListeningServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function serve(predictor: Predictor) {
  const faults: unknown[] = [];
  const server = createModelServer({
    models: [{ name: 'm', predictor }],
    defaultMetrics: false,
    onError: (err) => faults.push(err),
  });
  http = await listen(server);
  return { url: http.url, faults };
}

/** The error part of a body: core's `{ error: {...} }` on v1, the protocol's `{ error: '…', code, … }` on v2. */
async function errorOf(res: Response, path: string) {
  const body = await json(res);
  return path.startsWith('/v2/') ? { ...body, message: body.error } : body.error;
}

const routes = [
  ['v1 predict', '/v1/models/m/predict', row],
  ['v2 infer', '/v2/models/m/infer', v2Row],
] as const;

describe('errors thrown by a predictor', () => {
  it.each(routes)(
    '%s: an error with status 401 and expose is a 500 that says nothing of it',
    async (_w, path, body) => {
      const { url, faults } = await serve(
        failing(() => Object.assign(new Error('upstream said 401: key sk-secret-123'), { status: 401, expose: true })),
      );
      const res = await post(`${url}${path}`, body);
      expect(res.status).toBe(500);
      const e = await errorOf(res, path);
      expect(e).toMatchObject({ code: 'INTERNAL', message: 'Internal server error', details: [] });
      expect(JSON.stringify(e)).not.toContain('sk-secret');
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(faults).toHaveLength(1);
    },
  );

  it.each(routes)(
    '%s: an error with statusCode 404 (row by row) is a 500 reported to onError',
    async (_w, path, body) => {
      const { url, faults } = await serve(
        failing(() => Object.assign(new Error('not there'), { statusCode: 404 }), false),
      );
      const res = await post(`${url}${path}`, body);
      expect(res.status).toBe(500);
      expect(await errorOf(res, path)).toMatchObject({ code: 'INTERNAL' });
      expect(faults).toHaveLength(1);
    },
  );

  it.each(routes)(
    '%s: an upstream UNAUTHORIZED is 502 UPSTREAM_ERROR, without WWW-Authenticate',
    async (_w, path, body) => {
      const { url, faults } = await serve(
        failing(() => new MlopsError('UNAUTHORIZED', 'HTTP 401: Incorrect API key provided')),
      );
      const res = await post(`${url}${path}`, body);
      expect(res.status).toBe(502);
      expect(await errorOf(res, path)).toMatchObject({ code: 'UPSTREAM_ERROR', details: [] });
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(faults).toHaveLength(0); // a 502 is answered with its message, like the other 5xx codes that are not faults
    },
  );

  it.each(routes)(
    '%s: the predictor refusing the input (INVALID_INPUT) is still a 400 with its paths',
    async (_w, path, body) => {
      const { url } = await serve(
        failing(
          () =>
            new MlopsError('INVALID_INPUT', { message: 'empty text', details: [{ path: 'city', message: 'empty' }] }),
        ),
      );
      const res = await post(`${url}${path}`, body);
      expect(res.status).toBe(400);
      expect(await errorOf(res, path)).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'city' }] });
    },
  );
});
