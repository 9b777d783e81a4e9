// Issue 19, fault 7: overload is refused before the body is read. A full queue answers 503 + Retry-After, and a
// Content-Length over the limit answers 413, while the client has sent only the headers: refusing costs no parsing.
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, post, testPredictor } from '../helpers.js';
import { rawRequest } from './http.js';

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const row = { instances: [{ x: 1, city: 'c' }] };
const v2Row = {
  inputs: [
    { name: 'x', shape: [1], datatype: 'FP64', data: [1] },
    { name: 'city', shape: [1], datatype: 'BYTES', data: ['c'] },
  ],
};

let http: ListeningServer | undefined;
let release: (() => void) | undefined;
afterEach(async () => {
  release?.();
  await http?.close();
  http = undefined;
});

describe('shedding before the body is read (fault 7)', () => {
  it.each([
    ['v1 predict', '/v1/models/m/predict', row],
    ['v2 infer', '/v2/models/m/infer', v2Row],
  ])('%s: a full queue answers 503 with Retry-After without waiting for the body', async (_what, path, body) => {
    const predictor = testPredictor();
    const server = createModelServer({
      models: [{ name: 'm', predictor, batching: false }],
      limits: { maxConcurrency: 1, maxQueue: 1, retryAfterSeconds: 3 },
      defaultMetrics: false,
    });
    http = await listen(server);
    predictor.hold();
    release = () => predictor.releaseHold();
    const first = post(`${http.url}${path}`, body);
    await until(() => predictor.calls.length === 1);
    const second = post(`${http.url}${path}`, body);
    // The second request waits in the queue (it holds its place before its body is read).
    await until(async () => /^mlops_request_queue_depth 1$/m.test(await (await fetch(`${http!.url}/metrics`)).text()));
    // Headers only: the body is never sent, so an answer proves the server did not wait for it.
    const shed = await rawRequest(`${http.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '5000' },
    });
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('3');
    // v1: core's error body; v2: the Open Inference Protocol's { error: string } with the code beside it.
    const shedError = path.startsWith('/v2/') ? shed.json : shed.json.error;
    expect(shedError).toMatchObject({ code: 'OVERLOADED', requestId: expect.any(String) });
    predictor.releaseHold();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });

  it.each([
    ['v1 predict', '/v1/models/m/predict'],
    ['v2 infer', '/v2/models/m/infer'],
  ])('%s: a Content-Length over the limit answers 413 at once and closes the connection', async (_what, path) => {
    const server = createModelServer({
      models: [{ name: 'm', predictor: testPredictor() }],
      limits: { maxBodyBytes: 1000 },
      defaultMetrics: false,
    });
    http = await listen(server);
    const res = await rawRequest(`${http.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(path.startsWith('/v2/') ? res.json : res.json.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: [{ path: '(headers).content-length' }],
    });
    // The server will not read (and discard) 50 MiB to keep the connection alive.
    expect(res.headers.connection).toBe('close');
  });

  it('a request within the limits still succeeds, and a queued request still completes', async () => {
    const predictor = testPredictor();
    const server = createModelServer({
      models: [{ name: 'm', predictor, batching: false }],
      limits: { maxConcurrency: 1, maxQueue: 4, maxBodyBytes: 10_000 },
      defaultMetrics: false,
    });
    http = await listen(server);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        post(`${http!.url}/v1/models/m/predict`, { instances: [{ x: i, city: 'c' }] }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
