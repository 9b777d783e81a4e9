// Requests Node's HTTP parser refuses before express sees them (a broken chunked body, both Content-Length and
// Transfer-Encoding, a negative length, headers over Node's limit) still get the one error body with a typed code and
// a request id. Before the fix Node answered them itself: a bare "400 Bad Request" (or 431) with no body at all.
import { connect } from 'node:net';
import { errorBodySchema } from '@mlops/core/http';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, post, testPredictor } from '../helpers.js';

/** Writes `data` on a fresh connection and resolves with everything the server sent before closing it. */
function exchange(url: string, data: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let out = '';
    socket.on('data', (c) => {
      out += c.toString('utf8');
    });
    socket.on('error', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no close within 10 s; got ${JSON.stringify(out)}`));
    });
    socket.write(data);
  });
}

function parse(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

let http: ListeningServer;
beforeAll(async () => {
  http = await listen(
    createModelServer({ models: [{ name: 'm', predictor: testPredictor() }], defaultMetrics: false }),
  );
});
afterAll(async () => {
  await http?.close();
});

const start = 'POST /v1/models/m/predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n';

describe('requests the HTTP parser refuses get the error contract', () => {
  it.each([
    ['a broken chunk size', `${start}transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400, 'INVALID_INPUT'],
    [
      'Content-Length and Transfer-Encoding',
      `${start}content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      'INVALID_INPUT',
    ],
    ['a negative Content-Length', `${start}content-length: -1\r\n\r\n{}`, 400, 'INVALID_INPUT'],
    ['a header line without a colon', `${start}not a header\r\n\r\n`, 400, 'INVALID_INPUT'],
    ['headers over the limit', `${start}x-big: ${'a'.repeat(20_000)}\r\n\r\n`, 413, 'PAYLOAD_TOO_LARGE'],
  ])('%s: the status of its code, a JSON body', async (_what, data, status, code) => {
    const res = parse(await exchange(http.url, data));
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.connection).toBe('close');
    const body = errorBodySchema.parse(JSON.parse(res.body));
    expect(body.error.code).toBe(code);
    expect(body.error.requestId).toBe(res.headers['x-request-id']);
    expect(body.error.details.length).toBeGreaterThan(0);
  });

  it('the server still answers afterwards', async () => {
    expect((await post(`${http.url}/v1/models/m/predict`, { instances: [{ x: 1, city: 'c' }] })).status).toBe(200);
  });
});
