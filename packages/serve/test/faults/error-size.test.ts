// An error answer is never much larger than the request that caused it. Before the fix `details` listed every issue:
// one 600 KB record with 60,000 unknown fields was answered with a 3.4 MB error (60,000 details), and 10,000 bad rows
// with 1.8 MB. `details` now lists at most 100 issues; the message counts the rest.
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen, post, testPredictor } from '../helpers.js';

let http: ListeningServer;
beforeAll(async () => {
  http = await listen(
    createModelServer({ models: [{ name: 'm', predictor: testPredictor() }], defaultMetrics: false }),
  );
});
afterAll(async () => {
  await http?.close();
});

const manyKeys: Record<string, unknown> = { x: 1, city: 'a' };
for (let i = 0; i < 60_000; i++) manyKeys[`k${i}`] = 1;

it.each([
  ['a record with 60,000 unknown fields', { instances: [manyKeys] }],
  ['10,000 bad rows', { instances: Array.from({ length: 10_000 }, () => ({ x: 'a', city: 1 })) }],
  ['10,000 bad column values', { inputs: { x: Array.from({ length: 10_000 }, () => 'a'), city: ['c'] } }],
])('%s: 400 with at most 100 details, smaller than the request', async (_what, body) => {
  const sent = JSON.stringify(body);
  const res = await post(`${http.url}/v1/models/m/predict`, sent, { 'content-type': 'application/json' });
  expect(res.status).toBe(400);
  const text = await res.text();
  const error = JSON.parse(text).error;
  expect(error.code).toBe('INVALID_INPUT');
  expect(error.details.length).toBeGreaterThan(0);
  expect(error.details.length).toBeLessThanOrEqual(100);
  expect(error.message).toMatch(/more\)$/);
  expect(text.length).toBeLessThan(sent.length);
});
