// A predict request takes its limiter slot before its body is read (so overload is refused at once): a client that
// sends the headers and then stalls must not keep that slot past the request timeout. Before the fix it held the slot
// until Node's own request timeout (300 s), and a handful of such clients refused every other prediction with 503.
import { connect, type Socket } from 'node:net';
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

/** Sends the headers and the start of a body announced longer, then stalls; `answer` resolves with what came back. */
function stall(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): { socket: Socket; answer: Promise<string> } {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  const answer = new Promise<string>((resolve) => {
    let out = '';
    socket.on('data', (c) => {
      out += c.toString('utf8');
    });
    socket.on('error', () => resolve(out));
    socket.on('close', () => resolve(out));
  });
  const lines = Object.entries({ host: '127.0.0.1', 'content-type': 'application/json', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${lines}content-length: 100\r\n\r\n{"ins`);
  return { socket, answer };
}

let http: ListeningServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await http?.close();
  http = undefined;
});

describe('a stalled body does not keep a prediction slot', () => {
  it.each([
    ['v1 predict', '/v1/models/m/predict', row, {}],
    ['v2 infer', '/v2/models/m/infer', v2Row, {}],
    // A charset parameter sends the body to express's parser (the fallback reader): same deadline.
    ['v1 predict, charset', '/v1/models/m/predict', row, { 'content-type': 'application/json; charset=utf-8; x=1' }],
  ])('%s: the stalled request gets 504 at the request timeout and frees its slot', async (_what, path, body, hs) => {
    const server = createModelServer({
      models: [{ name: 'm', predictor: testPredictor(), batching: false }],
      limits: { maxConcurrency: 1, maxQueue: 4, requestTimeoutMs: 1_000 },
      defaultMetrics: false,
    });
    http = await listen(server);
    const stalled = stall(http.url, path, hs);
    sockets.push(stalled.socket);
    // Once the stalled request holds the one slot, a good request queues behind it.
    await new Promise((r) => setTimeout(r, 300));
    const good = await post(`${http.url}${path}`, body);
    // The stalled request is answered (timeout) and closed, so the queued request got the slot in time.
    expect(good.status).toBe(200);
    const answer = await stalled.answer;
    expect(answer).toMatch(/^HTTP\/1\.1 504 /);
    const payload = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(path.startsWith('/v2/') ? payload.code : payload.error.code).toBe('TIMEOUT');
    expect(answer.toLowerCase()).toContain('connection: close');
    // And the slot is free for the next one.
    expect((await post(`${http.url}${path}`, body)).status).toBe(200);
    expect(await json(await post(`${http.url}${path}`, body))).toBeTruthy();
  });
});
