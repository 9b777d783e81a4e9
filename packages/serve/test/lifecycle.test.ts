import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStore, type Store } from '@mlops/core';
import { createModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, listen, post, testPredictor } from './helpers.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
});
afterAll(() => store?.close());

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const row = (x: number) => ({ instances: [{ x, city: 'c' }] });

describe('overload', () => {
  it('answers 503 with Retry-After beyond the queue, then recovers', async () => {
    const predictor = testPredictor();
    const server = createModelServer({
      models: [{ name: 'm', predictor, batching: false }],
      limits: { maxConcurrency: 1, maxQueue: 1, retryAfterSeconds: 2 },
      defaultMetrics: false,
    });
    const http = await listen(server);
    try {
      predictor.hold();
      const first = post(`${http.url}/v1/models/m/predict`, row(1));
      await until(() => predictor.calls.length === 1);
      const second = post(`${http.url}/v1/models/m/predict`, row(2));
      await until(async () => (await metric(http.url, 'mlops_request_queue_depth')) === 1);
      const third = await post(`${http.url}/v1/models/m/predict`, row(3));
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('2');
      expect((await json(third)).error.code).toBe('OVERLOADED');
      predictor.releaseHold();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      const again = await post(`${http.url}/v1/models/m/predict`, row(4));
      expect(again.status).toBe(200);
      const text = await (await fetch(`${http.url}/metrics`)).text();
      expect(text).toMatch(/mlops_http_errors_total\{code="OVERLOADED",route="\/v1\/models\/:name\/predict"\} 1/);
    } finally {
      predictor.releaseHold();
      await http.close();
    }
  });

  it('answers 504 TIMEOUT when the model does not answer in time, then serves again', async () => {
    const predictor = testPredictor();
    const server = createModelServer({
      models: [{ name: 'm', predictor }],
      limits: { requestTimeoutMs: 150 },
      defaultMetrics: false,
    });
    const http = await listen(server);
    try {
      predictor.hold();
      const res = await post(`${http.url}/v1/models/m/predict`, row(1));
      expect(res.status).toBe(504);
      expect((await json(res)).error.code).toBe('TIMEOUT');
      predictor.releaseHold();
      expect((await post(`${http.url}/v1/models/m/predict`, row(2))).status).toBe(200);
    } finally {
      predictor.releaseHold();
      await http.close();
    }
  });
});

describe('micro-batching', () => {
  it('groups concurrent requests into one predictor call and gives each its own rows', async () => {
    const predictor = testPredictor();
    const server = createModelServer({
      models: [{ name: 'm', predictor, batching: { maxBatchSize: 64 } }],
      defaultMetrics: false,
    });
    const http = await listen(server);
    try {
      predictor.hold();
      const first = post(`${http.url}/v1/models/m/predict`, row(0));
      await until(() => predictor.calls.length === 1);
      // While the first call runs, 20 requests queue up in the batcher...
      const rest = Array.from({ length: 20 }, (_, i) => post(`${http.url}/v1/models/m/predict`, row(i + 1)));
      await until(async () => {
        const text = await (await fetch(`${http.url}/metrics`)).text();
        return /mlops_batch_queue_rows\{model="m",version="1"\} 20/.test(text);
      });
      predictor.releaseHold();
      await first;
      const bodies = await Promise.all(rest.map(async (r) => json(await r)));
      // ...and go to the predictor together.
      expect(predictor.calls).toEqual([1, 20]);
      expect(bodies.map((b) => b.predictions[0].outputs.y)).toEqual(rest.map((_, i) => 2 * (i + 1)));
    } finally {
      predictor.releaseHold();
      await http.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM drains in-flight requests and flushes every prediction to core_predictions', async () => {
    const predictor = testPredictor();
    const server = createModelServer({
      models: [{ name: 'drain', predictor }],
      store,
      // Nothing is written before shutdown unless close() flushes.
      logging: { batchSize: 10_000, flushIntervalMs: 3_600_000 },
      defaultMetrics: false,
    });
    const http = await listen(server, ['SIGTERM']);
    predictor.hold();
    const n = 40;
    const pending = Array.from({ length: n }, (_, i) =>
      post(`${http.url}/v1/models/drain/predict`, {
        instances: [
          { x: i, city: 'a' },
          { x: i, city: 'b' },
        ],
      }),
    );
    await until(async () => {
      const text = await (await fetch(`${http.url}/metrics`)).text();
      const rows = /mlops_batch_queue_rows\{model="drain",version="1"\} (\d+)/.exec(text);
      return predictor.calls.length === 1 && Number(rows?.[1]) === 2 * (n - 1);
    });
    process.emit('SIGTERM', 'SIGTERM');
    const closing = http.close(); // the same shutdown the signal started
    predictor.releaseHold();
    const responses = await Promise.all(pending);
    expect(responses.map((r) => r.status)).toEqual(new Array(n).fill(200));
    await closing;
    const [row0] = await store.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM core_predictions WHERE model = 'drain'",
    );
    expect(row0?.count).toBe(2 * n);
    expect(server.logger!.stats()).toMatchObject({ written: 2 * n, dropped: 0, pending: 0 });
  });

  it('refuses new requests with 503 SHUTTING_DOWN while draining', async () => {
    const predictor = testPredictor();
    const server = createModelServer({ models: [{ name: 'm', predictor }], defaultMetrics: false });
    // A listener the server does not own (app.listen): it keeps accepting while the server drains.
    const http = createServer(server.app);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      predictor.hold();
      const inFlight = post(`${url}/v1/models/m/predict`, row(1));
      await until(() => predictor.calls.length === 1);
      const closing = server.close();
      const late = await post(`${url}/v1/models/m/predict`, row(2));
      expect(late.status).toBe(503);
      expect((await json(late)).error.code).toBe('SHUTTING_DOWN');
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(503);
      predictor.releaseHold();
      expect((await inFlight).status).toBe(200);
      await closing;
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});

describe('server.close()', () => {
  it('also closes the listener opened by listen() and removes its signal handlers', async () => {
    const server = createModelServer({ models: [{ name: 'm', predictor: testPredictor() }], defaultMetrics: false });
    const before = process.listenerCount('SIGUSR2');
    const http = await listen(server, ['SIGUSR2']);
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    const ok = await post(`${http.url}/v1/models/m/predict`, row(1));
    expect(ok.status).toBe(200);
    await server.close();
    expect(http.server.listening).toBe(false);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    await expect(fetch(`${http.url}/v2/health/live`)).rejects.toThrow();
    // The handle's close after the server's is a no-op, not an error.
    await http.close();
  });
});
