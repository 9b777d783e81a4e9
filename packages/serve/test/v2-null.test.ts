import type { Columns, Predictor } from '@mlops/core';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, listen, post } from './helpers.js';

/** Scores a row from an optional float (`NaN` when missing → -1), a required float and an optional float tensor. */
const scorer: Predictor = {
  signature: {
    inputs: [
      { name: 'reading', type: 'float64', shape: [], optional: true },
      { name: 'temp', type: 'float32', shape: [], optional: true },
      { name: 'weight', type: 'float64', shape: [] },
      { name: 'count', type: 'int64', shape: [], optional: true },
      { name: 'pair', type: 'float64', shape: [2], optional: true },
    ],
    outputs: [
      { name: 'score', type: 'float64', shape: [] },
      { name: 'missing', type: 'int32', shape: [] },
    ],
  },
  batchable: true,
  predict: async (inputs: Columns) => {
    const reading = inputs.reading as Float64Array | undefined;
    const temp = inputs.temp as Float32Array | undefined;
    const weight = inputs.weight as Float64Array;
    const pair = inputs.pair as (Float64Array | null)[] | undefined;
    const n = weight.length;
    const score = new Float64Array(n);
    const missing = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = reading?.[i] ?? Number.NaN;
      const t = temp?.[i] ?? Number.NaN;
      const p = pair?.[i] ?? null;
      missing[i] = (Number.isNaN(r) ? 1 : 0) + (Number.isNaN(t) ? 2 : 0) + (p === null ? 4 : 0);
      score[i] = weight[i]! * (Number.isNaN(r) ? -1 : r) + (Number.isNaN(t) ? 0 : t) + (p ? p[0]! + p[1]! : 0);
    }
    return { score, missing };
  },
};

let http: ListeningServer;

beforeAll(async () => {
  http = await listen(createModelServer({ models: [{ name: 'secom', predictor: scorer }], defaultMetrics: false }));
});
afterAll(() => http?.close());

const infer = (inputs: unknown[]) => post(`${http.url}/v2/models/secom/infer`, { inputs });
const predict = (inputs: unknown) => post(`${http.url}/v1/models/secom/predict`, { inputs });

describe('v2 infer: null is a missing value in float data of optional inputs', () => {
  it('predicts the same through v1 (null) and v2 (null)', async () => {
    const reading = [1.5, null, 3, null];
    const temp = [null, 0.25, null, 2];
    const weight = [2, 3, 4, 5];
    const pair = [[1, 2], null, [0.5, 0.5], null];
    const v1 = await predict({ reading, temp, weight, pair });
    expect(v1.status).toBe(200);
    const v1Body = await json(v1);
    const v2 = await infer([
      { name: 'reading', shape: [4], datatype: 'FP64', data: reading },
      { name: 'temp', shape: [4, 1], datatype: 'FP32', data: temp.map((x) => [x]) },
      { name: 'weight', shape: [4], datatype: 'FP64', data: weight },
      { name: 'pair', shape: [4, 2], datatype: 'FP64', data: [1, 2, null, null, 0.5, 0.5, null, null] },
    ]);
    expect(v2.status).toBe(200);
    const v2Body = await json(v2);
    const out = Object.fromEntries((v2Body.outputs as { name: string; data: number[] }[]).map((o) => [o.name, o.data]));
    // reading missing → -1 * weight; temp missing → 0; pair missing → 0.
    expect(out.score).toEqual([2 * 1.5 + 1 + 2, -3 + 0.25, 4 * 3 + 1, -5 + 2]);
    expect(out.missing).toEqual([2, 1 + 4, 2, 1 + 4]);
    const v1Preds = v1Body.predictions as { outputs: { score: number; missing: number } }[];
    expect(v1Preds.map((q) => q.outputs.score)).toEqual(out.score);
    expect(v1Preds.map((q) => q.outputs.missing)).toEqual(out.missing);
    expect(v2Body.parameters.prediction_ids.split(',')).toHaveLength(4);
  });

  it('takes FP16 null for an optional input', async () => {
    const res = await infer([
      { name: 'reading', shape: [2], datatype: 'FP16', data: [null, 2] },
      { name: 'weight', shape: [2], datatype: 'FP64', data: [1, 1] },
    ]);
    expect(res.status).toBe(200);
    expect((await json(res)).outputs[0].data).toEqual([-1, 2]);
  });

  it('refuses null in a required input with 400 and the element path', async () => {
    const res = await infer([
      { name: 'reading', shape: [4], datatype: 'FP64', data: [1, 2, 3, 4] },
      { name: 'weight', shape: [4], datatype: 'FP64', data: [1, 2, 3, null] },
    ]);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.details).toEqual([{ path: 'inputs[1].data[3]', message: expect.stringMatching(/required/) }]);
  });

  it('refuses null in INT64 data with 400 and the element path, even for an optional input', async () => {
    const res = await infer([
      { name: 'count', shape: [4], datatype: 'INT64', data: [1, 2, 3, null] },
      { name: 'weight', shape: [4], datatype: 'FP64', data: [1, 2, 3, 4] },
    ]);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.details).toEqual([{ path: 'inputs[0].data[3]', message: expect.stringMatching(/INT64/) }]);
  });

  it('refuses a partly null row of a tensor-shaped optional input', async () => {
    const res = await infer([
      { name: 'pair', shape: [2, 2], datatype: 'FP64', data: [1, null, 3, 4] },
      { name: 'weight', shape: [2], datatype: 'FP64', data: [1, 2] },
    ]);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.details).toEqual([{ path: 'inputs[0].data[1]', message: expect.stringMatching(/whole row/) }]);
  });
});

describe('v2 infer: one tensor per feature of a wide model', () => {
  it('takes 600 optional FP64 tensors with nulls and predicts as v1 does', async () => {
    const names = Array.from({ length: 600 }, (_, k) => `s${String(k).padStart(3, '0')}`);
    const wide: Predictor = {
      signature: {
        inputs: names.map((name) => ({ name, type: 'float64' as const, shape: [], optional: true })),
        outputs: [{ name: 'missing', type: 'int32', shape: [] }],
      },
      batchable: true,
      predict: async (inputs: Columns) => {
        const n = (inputs.s000 as Float64Array).length;
        const missing = new Int32Array(n);
        for (const name of names) {
          const col = inputs[name] as Float64Array;
          for (let i = 0; i < n; i++) if (Number.isNaN(col[i])) missing[i]!++;
        }
        return { missing };
      },
    };
    const server = await listen(
      createModelServer({ models: [{ name: 'wide', predictor: wide }], defaultMetrics: false }),
    );
    try {
      // Row 0 misses every third sensor, row 1 none.
      const cols = names.map((_, k) => [k % 3 === 0 ? null : k, k]);
      const v2 = await post(`${server.url}/v2/models/wide/infer`, {
        inputs: names.map((name, k) => ({ name, shape: [2], datatype: 'FP64', data: cols[k] })),
      });
      expect(v2.status).toBe(200);
      const v1 = await post(`${server.url}/v1/models/wide/predict`, {
        inputs: Object.fromEntries(names.map((name, k) => [name, cols[k]])),
      });
      expect(v1.status).toBe(200);
      expect((await json(v2)).outputs[0].data).toEqual([200, 0]);
      expect((await json(v1)).predictions.map((p: { outputs: { missing: number } }) => p.outputs.missing)).toEqual([
        200, 0,
      ]);
    } finally {
      await server.close();
    }
  });
});
