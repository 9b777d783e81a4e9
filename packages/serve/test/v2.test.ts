import type { Columns, Predictor } from '@mlops/core';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, listen, post } from './helpers.js';

const FIELDS = [
  ['b', 'bool', []],
  ['i8', 'int8', []],
  ['i16', 'int16', []],
  ['i32', 'int32', []],
  ['i64', 'int64', []],
  ['u8', 'uint8', []],
  ['f32', 'float32', []],
  ['f64', 'float64', []],
  ['s', 'string', []],
  ['t', 'float32', [2, 2]],
] as const;

/** Echoes every input column as an output of the same name. */
const echo: Predictor = {
  signature: {
    inputs: FIELDS.map(([name, type, shape]) => ({ name, type, shape: [...shape], optional: true })),
    outputs: FIELDS.map(([name, type, shape]) => ({ name, type, shape: [...shape], optional: true })),
  },
  batchable: true,
  predict: async (inputs: Columns) => inputs,
};

let http: ListeningServer;
let base: string;

beforeAll(async () => {
  const server = createModelServer({
    models: [{ name: 'echo', predictor: echo, version: '3' }],
    defaultMetrics: false,
  });
  http = await listen(server);
  base = `${http.url}/v2`;
});
afterAll(() => http?.close());

const infer = (inputs: unknown[], extra: Record<string, unknown> = {}, path = '/models/echo/infer') =>
  post(`${base}${path}`, { inputs, ...extra });

describe('Open Inference Protocol v2: tensors of each datatype', () => {
  it.each([
    ['BOOL', 'b', [true, false], 'BOOL', [true, false]],
    ['INT8', 'i8', [-128, 127], 'INT8', [-128, 127]],
    ['INT16', 'i16', [-32768, 32767], 'INT16', [-32768, 32767]],
    ['INT32', 'i32', [-2147483648, 7], 'INT32', [-2147483648, 7]],
    ['INT64', 'i64', [-9007199254740991, 5], 'INT64', [-9007199254740991, 5]],
    ['UINT8', 'u8', [0, 255], 'UINT8', [0, 255]],
    ['UINT16', 'i32', [0, 65535], 'INT32', [0, 65535]],
    ['UINT32', 'i64', [0, 4294967295], 'INT64', [0, 4294967295]],
    ['UINT64', 'i64', [1, 123456789012], 'INT64', [1, 123456789012]],
    ['FP16', 'f32', [0.5, -2], 'FP32', [0.5, -2]],
    ['FP32', 'f32', [1.5, 2.25], 'FP32', [1.5, 2.25]],
    ['FP64', 'f64', [0.1, 1e300], 'FP64', [0.1, 1e300]],
    ['BYTES', 's', ['a', 'é'], 'BYTES', ['a', 'é']],
  ])('%s into %s', async (datatype, name, data, outType, outData) => {
    const res = await infer([{ name, shape: [2], datatype, data }], { id: 'r1', outputs: [{ name }] });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ model_name: 'echo', model_version: '3', id: 'r1' });
    expect(body.outputs).toEqual([{ name, shape: [2], datatype: outType, data: outData }]);
    expect(body.parameters.prediction_ids.split(',')).toHaveLength(2);
  });

  it('takes row-major flat or nested data for a [batch, 2, 2] tensor and answers flat', async () => {
    const flat = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const data of [
      flat,
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
    ]) {
      const res = await infer([{ name: 't', shape: [2, 2, 2], datatype: 'FP32', data }], { outputs: [{ name: 't' }] });
      expect(res.status).toBe(200);
      expect((await json(res)).outputs[0]).toEqual({ name: 't', shape: [2, 2, 2], datatype: 'FP32', data: flat });
    }
  });

  it('takes a scalar field as [batch, 1]', async () => {
    const res = await infer([{ name: 'f64', shape: [3, 1], datatype: 'FP64', data: [1, 2, 3] }], {
      outputs: [{ name: 'f64' }],
    });
    expect((await json(res)).outputs[0].data).toEqual([1, 2, 3]);
  });

  it.each([
    [
      'an element outside its datatype',
      [{ name: 'i8', shape: [1], datatype: 'INT8', data: [300] }],
      'inputs[0].data[0]',
    ],
    ['a non-integer INT32', [{ name: 'i32', shape: [1], datatype: 'INT32', data: [1.5] }], 'inputs[0].data[0]'],
    ['a wrong element count', [{ name: 'f64', shape: [3], datatype: 'FP64', data: [1, 2] }], 'inputs[0].data'],
    ['BYTES into a number field', [{ name: 'f64', shape: [1], datatype: 'BYTES', data: ['1'] }], 'inputs[0].datatype'],
    ['an unknown input', [{ name: 'zz', shape: [1], datatype: 'FP64', data: [1] }], 'inputs[0].name'],
    ['a wrong inner shape', [{ name: 't', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }], 'inputs[0].shape'],
    [
      'different batch sizes',
      [
        { name: 'f64', shape: [1], datatype: 'FP64', data: [1] },
        { name: 'f32', shape: [2], datatype: 'FP32', data: [1, 2] },
      ],
      'inputs[1].shape[0]',
    ],
    ['an unknown datatype', [{ name: 'f64', shape: [1], datatype: 'FP8', data: [1] }], 'inputs[0].datatype'],
    ['a value out of the field range', [{ name: 'u8', shape: [1], datatype: 'INT16', data: [-3] }], 'inputs[0].data'],
  ])('answers 400 { error } for %s', async (_what, inputs, path) => {
    const res = await infer(inputs);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(typeof body.error).toBe('string');
    expect(body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('answers 400 for an unknown requested output', async () => {
    const res = await infer([{ name: 'f64', shape: [1], datatype: 'FP64', data: [1] }], {
      outputs: [{ name: 'nope' }],
    });
    expect(res.status).toBe(400);
  });
});

describe('Open Inference Protocol v2: metadata and health', () => {
  it('serves server metadata, liveness and readiness', async () => {
    expect(await json(await fetch(base))).toMatchObject({ name: 'mlops-serve', extensions: [] });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect(await json(await fetch(`${base}/health/ready`))).toEqual({ ready: true });
  });

  it('describes a model with datatypes and batch-dimension shapes', async () => {
    for (const path of ['/models/echo', '/models/echo/versions/3']) {
      const body = await json(await fetch(`${base}${path}`));
      expect(body.name).toBe('echo');
      expect(body.versions).toEqual(['3']);
      expect(body.inputs).toContainEqual({ name: 't', datatype: 'FP32', shape: [-1, 2, 2] });
      expect(body.inputs).toContainEqual({ name: 's', datatype: 'BYTES', shape: [-1] });
    }
    expect((await fetch(`${base}/models/echo/ready`)).status).toBe(200);
    expect((await fetch(`${base}/models/echo/versions/3/ready`)).status).toBe(200);
  });

  it('answers 404 { error } for an unknown model or version', async () => {
    for (const path of ['/models/nope', '/models/echo/versions/9', '/models/echo/versions/9/ready']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(typeof (await json(res)).error).toBe('string');
    }
    const res = await infer(
      [{ name: 'f64', shape: [1], datatype: 'FP64', data: [1] }],
      {},
      '/models/echo/versions/9/infer',
    );
    expect(res.status).toBe(404);
  });

  it('infers with a pinned served version', async () => {
    const res = await infer(
      [{ name: 'f64', shape: [1], datatype: 'FP64', data: [4] }],
      {},
      '/models/echo/versions/3/infer',
    );
    expect(res.status).toBe(200);
  });
});
