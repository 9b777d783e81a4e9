import { columnsLength, type Predictor } from '@mlops/core';
import { errorBodySchema } from '@mlops/core/http';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPredictor } from './helpers.js';

let http: ListeningServer;

// Every scalar type of a signature, so each type's validation meets the fuzzer (an int64 given 'x' once threw a
// SyntaxError from BigInt(): a 500).
const TYPES = ['float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool', 'string'] as const;
const typedPredictor: Predictor = {
  signature: {
    inputs: TYPES.map((type) => ({ name: type, type, shape: [], optional: type === 'string' })),
    outputs: [{ name: 'n', type: 'float64', shape: [] }],
  },
  batchable: true,
  async predict(inputs) {
    return { n: new Float64Array(columnsLength(inputs)) };
  },
};
const faults: unknown[] = [];

beforeAll(async () => {
  const server = createModelServer({
    models: [
      { name: 'm', predictor: testPredictor() },
      { name: 'typed', predictor: typedPredictor },
    ],
    limits: { maxBodyBytes: 64 * 1024 },
    defaultMetrics: false,
    onError: (err) => faults.push(err),
  });
  http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
});
afterAll(() => http?.close());

const scalar = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -0, 2 ** 63, '9223372036854775808', '', '__proto__'),
);
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.array(fc.array(scalar, { maxLength: 3 }), { maxLength: 3 }),
);
const record = fc.dictionary(fc.constantFrom('x', 'city', 'v', 'zz', '__proto__', 'constructor'), value, {
  maxKeys: 4,
});
const v1Body = fc.oneof(
  fc.record({ instances: fc.oneof(fc.array(record, { maxLength: 5 }), value) }, { requiredKeys: [] }),
  fc.record({ inputs: fc.oneof(record, fc.array(record, { maxLength: 5 }), value) }),
  fc.jsonValue({ maxDepth: 4 }),
);
const tensor = fc.record(
  {
    name: fc.oneof(fc.constantFrom('x', 'city', 'v'), fc.string()),
    shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 }), value),
    datatype: fc.oneof(
      fc.constantFrom('BOOL', 'UINT8', 'UINT64', 'INT8', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'),
      fc.string(),
    ),
    data: fc.oneof(fc.array(value, { maxLength: 10 }), value),
  },
  { requiredKeys: [] },
);
const v2Body = fc.oneof(
  fc.record(
    { id: fc.oneof(fc.string(), value), inputs: fc.oneof(fc.array(tensor, { maxLength: 3 }), value), outputs: value },
    { requiredKeys: ['inputs'] },
  ),
  fc.jsonValue({ maxDepth: 4 }),
);
const rawText = fc.oneof(
  fc.string(),
  fc.constantFrom('{', '[[[[[[[[[[', '{"instances": [{"x": 1e999}]}', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'null'),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/merge-patch+json',
  undefined,
);

async function send(path: string, body: string, type: string | undefined): Promise<void> {
  const res = await fetch(`${http.url}${path}`, {
    method: 'POST',
    headers: type === undefined ? {} : { 'content-type': type },
    body,
  });
  const text = await res.text();
  expect(res.status, `${path} ${type} ${body.slice(0, 300)} → ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const parsed = JSON.parse(text);
    // v1: core's one error body; v2 (Open Inference Protocol): { error: string } with the code beside it.
    if (path.startsWith('/v2/')) expect(typeof parsed.error).toBe('string');
    else expect(errorBodySchema.safeParse(parsed).error).toBeUndefined();
    expect(text).not.toMatch(/\n\s+at /);
  }
}

const typedRecord = fc.dictionary(fc.constantFrom(...TYPES, 'zz'), scalar, { minKeys: 6, maxKeys: 10 });
const typedBody = fc.record({
  inputs: fc.oneof(
    fc.array(typedRecord, { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...TYPES), fc.array(scalar, { maxLength: 3 }), { minKeys: 7 }),
  ),
});

describe('fuzzing request bodies (zero 5xx)', () => {
  it('POST /v1/models/typed/predict (every scalar type)', async () => {
    await fc.assert(
      fc.asyncProperty(typedBody, async (body) =>
        send('/v1/models/typed/predict', JSON.stringify(body), 'application/json'),
      ),
      { numRuns: 1000 },
    );
  }, 180_000);

  it('POST /v1/models/m/predict', async () => {
    await fc.assert(
      fc.asyncProperty(v1Body, contentType, async (body, type) =>
        send('/v1/models/m/predict', JSON.stringify(body), type),
      ),
      { numRuns: 1500 },
    );
  }, 180_000);

  it('POST /v2/models/m/infer', async () => {
    await fc.assert(
      fc.asyncProperty(v2Body, contentType, async (body, type) =>
        send('/v2/models/m/infer', JSON.stringify(body), type),
      ),
      { numRuns: 1500 },
    );
  }, 180_000);

  it('raw text to every POST endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/models/m/predict', '/v2/models/m/infer', '/v1/feedback', '/v1/models/zz/predict'),
        rawText,
        contentType,
        async (path, body, type) => send(path, body, type),
      ),
      { numRuns: 1000 },
    );
    expect(faults).toEqual([]);
  }, 180_000);
});
