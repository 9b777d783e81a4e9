import type { Columns, Predictor } from '@mlops/core';
import type { PredictionLogger } from '@mlops/core/predictions';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelSlots, type ModelSlots } from '../model-slots.js';
import { createLimiter } from '../scheduler/limiter.js';
import { createPredictionRunner, type PredictCall } from './run-prediction.js';

/** y = 2x; `hold()` keeps calls waiting until `release()`. */
function doubler() {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const predictor: Predictor & { hold(): void; release(): void } = {
    signature: {
      inputs: [{ name: 'x', type: 'float64', shape: [] }],
      outputs: [{ name: 'y', type: 'float64', shape: [] }],
    },
    batchable: true,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      open?.();
      gate = undefined;
    },
    async predict(inputs: Columns) {
      await gate;
      return { y: Float64Array.from(inputs.x as Float64Array, (v) => 2 * v) };
    },
  };
  return predictor;
}

const call = (overrides: Partial<PredictCall> = {}): PredictCall => ({
  requestId: 'r1',
  start: performance.now(),
  signal: new AbortController().signal,
  ...overrides,
});

let slots: ModelSlots | undefined;
afterEach(async () => {
  await Promise.all(slots?.all.map((s) => s.close()) ?? []);
  slots = undefined;
});

async function setup(opts: { requestTimeoutMs?: number; shadow?: boolean } = {}) {
  const primary = doubler();
  const ctx = { batching: false as const, onBatch: () => {}, onSwap: () => {}, onError: () => {} };
  slots = createModelSlots([{ name: 'm', predictor: primary, version: '1' }], ctx);
  await Promise.all(slots.all.map((s) => s.start()));
  const logged: { requestId: string; model: string; ids?: string[] | undefined }[] = [];
  const logger = {
    logBatch: (b: { requestId: string; model: string; ids?: string[] }) => {
      logged.push({ requestId: b.requestId, model: b.model, ids: b.ids });
      return { committed: undefined };
    },
  } as unknown as PredictionLogger;
  const predicted: string[] = [];
  const errors: unknown[] = [];
  const limiter = createLimiter({ maxConcurrency: 1, maxQueue: 0 });
  const runner = createPredictionRunner({
    slots,
    limiter,
    logger,
    maxRows: 100,
    requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
    retryAfterSeconds: 1,
    onPredicted: (model, version, rows) => predicted.push(`${model}@${version}:${rows}`),
    onError: (err) => errors.push(err),
  });
  return { primary, runner, limiter, logged, predicted, errors, slot: slots.find('m', 'model') };
}

describe('createPredictionRunner', () => {
  it('predicts, counts, logs under the request id with one id per row, and frees the limiter slot', async () => {
    const { runner, limiter, logged, predicted } = await setup();
    const r = await runner.columns('m', { x: [1, 2] }, undefined, call());
    expect(Array.from(r.outputs.y as Float64Array)).toEqual([2, 4]);
    expect(r.predictionIds).toHaveLength(2);
    expect(predicted).toEqual(['m@1:2']);
    expect(logged).toEqual([{ requestId: 'r1', model: 'm', ids: r.predictionIds }]);
    await new Promise((res) => setImmediate(res));
    expect(limiter.active).toBe(0);
  });

  it('validates the inputs against the signature under `inputs` (400 with field paths)', async () => {
    const { runner, limiter } = await setup();
    await expect(runner.columns('m', { x: ['a'] } as unknown as Columns, undefined, call())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(limiter.active).toBe(0);
  });

  it('an unknown model is NOT_FOUND naming the served ones; an unknown pinned version is NOT_FOUND', async () => {
    const { runner } = await setup();
    await expect(runner.columns('nope', { x: [1] }, undefined, call())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('served: m'),
    });
    await expect(runner.columns('m', { x: [1] }, '9', call())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: [{ path: 'version', message: 'Unknown version' }],
    });
  });

  it('a model that does not answer in time is TIMEOUT, and keeps its limiter slot until it finishes', async () => {
    const { runner, primary, limiter } = await setup({ requestTimeoutMs: 20 });
    primary.hold();
    await expect(runner.columns('m', { x: [1] }, undefined, call())).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(limiter.active).toBe(1);
    primary.release();
    await new Promise((res) => setTimeout(res, 10));
    expect(limiter.active).toBe(0);
  });

  it('a full limiter refuses with OVERLOADED', async () => {
    const { runner, primary } = await setup();
    primary.hold();
    const first = runner.columns('m', { x: [1] }, undefined, call());
    await new Promise((res) => setImmediate(res));
    await expect(runner.columns('m', { x: [2] }, undefined, call({ requestId: 'r2' }))).rejects.toMatchObject({
      code: 'OVERLOADED',
    });
    primary.release();
    await first;
  });

  it('a client that goes away gets the abort reason', async () => {
    const { runner, primary } = await setup();
    primary.hold();
    const abort = new AbortController();
    const pending = runner.columns('m', { x: [1] }, undefined, call({ signal: abort.signal }));
    abort.abort(new Error('gone'));
    await expect(pending).rejects.toThrow('gone');
    primary.release();
  });

  it('a taken admission slot is used instead of taking another', async () => {
    const { runner, limiter } = await setup();
    const release = await limiter.acquire();
    const admission = { release, handedOver: false };
    await runner.columns('m', { x: [1] }, undefined, call({ admission }));
    expect(admission.handedOver).toBe(true);
    await new Promise((res) => setImmediate(res));
    expect(limiter.active).toBe(0);
  });
});
