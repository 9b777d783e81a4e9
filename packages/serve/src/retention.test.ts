import { createStore, migrate, type Predictor, type Store } from '@mlops/core';
import { createPredictionLogger } from '@mlops/core/predictions';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelServer } from './create-model-server.js';
import { RETENTION_METRIC_NAMES, startRetention } from './retention.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
  await migrate(store, { areas: ['predictions'] });
});
afterAll(async () => {
  await store.close();
});
beforeEach(async () => {
  await store.query('DELETE FROM core_feedback');
  await store.query('DELETE FROM core_predictions');
});

const DAY = 86_400_000;

/** Logs `rows` predictions of `model`, `ageMs` old. */
async function seed(model: string, rows: number, ageMs: number): Promise<void> {
  const logger = createPredictionLogger({ store });
  logger.logBatch({
    requestId: `${model}-${ageMs}-${rows}`,
    model,
    time: Date.now() - ageMs,
    inputs: { x: Float64Array.from({ length: rows }, (_, i) => i) },
    outputs: { y: Float64Array.from({ length: rows }, (_, i) => 2 * i) },
  });
  await logger.close();
}

const countOf = async (model: string) =>
  Number(
    (
      await store.query<{ n: string | number }>('SELECT count(*) AS n FROM core_predictions WHERE model = $1', [model])
    )[0]!.n,
  );

const noErrors = (err: unknown) => {
  throw err;
};

describe('startRetention', () => {
  it('prunes each model with its own limits, keeps the models set to false, and counts what it deleted', async () => {
    await seed('a', 30, 10 * DAY);
    await seed('a', 20, 0);
    await seed('b', 40, 0);
    await seed('keep', 25, 10 * DAY);
    const registry = new Registry();
    const retention = startRetention({
      store,
      retention: { maxAgeMs: DAY, perModel: { b: { maxRows: 15 }, keep: false }, intervalMs: 3_600_000, batchSize: 7 },
      registry,
      onError: noErrors,
    });
    try {
      const result = await retention.runOnce();
      // a: the 30 old ones go (age); b: all but the newest 15 (its rows limit, the default age too); keep: untouched.
      expect(result.byModel).toEqual({ a: 30, b: 25 });
      expect(result.batches).toBeGreaterThan(2);
      expect([await countOf('a'), await countOf('b'), await countOf('keep')]).toEqual([20, 15, 25]);
      const text = await registry.metrics();
      expect(text).toContain(`${RETENTION_METRIC_NAMES.pruned}{model="a"} 30`);
      expect(text).toContain(`${RETENTION_METRIC_NAMES.pruned}{model="b"} 25`);
      // A second pass finds nothing more to delete.
      expect((await retention.runOnce()).predictions).toBe(0);
    } finally {
      await retention.stop();
    }
  });

  it('reports a failing pruning to onError, counts it, keeps its timer going, and stops on stop()', async () => {
    const broken = {
      driver: 'pglite',
      query: async () => {
        throw new Error('store down');
      },
      transaction: async () => {
        throw new Error('store down');
      },
      migrate: async () => {
        throw new Error('store down');
      },
    } as unknown as Store;
    const errors: string[] = [];
    const registry = new Registry();
    const retention = startRetention({
      store: broken,
      retention: { maxRows: 1, intervalMs: 10 },
      registry,
      onError: (err, where) => errors.push(`${where}: ${(err as Error).message}`),
    });
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toBe('prediction-log retention: store down');
    expect(await registry.metrics()).toMatch(new RegExp(`${RETENTION_METRIC_NAMES.pruneErrors} [2-9]`));
    await retention.stop();
    const after = errors.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(errors.length).toBe(after);
  });

  it('stop() interrupts a pruning in progress between two batches', async () => {
    await seed('big', 400, 10 * DAY);
    const retention = startRetention({
      store,
      retention: { maxAgeMs: DAY, intervalMs: 3_600_000, batchSize: 5 },
      onError: noErrors,
    });
    const running = retention.runOnce();
    await retention.stop();
    const result = await running;
    expect(result.aborted).toBe(true);
    expect(await countOf('big')).toBeGreaterThan(0);
  });
});

const predictor: Predictor = {
  signature: {
    inputs: [{ name: 'x', type: 'float64', shape: [] }],
    outputs: [{ name: 'y', type: 'float64', shape: [] }],
  },
  batchable: true,
  async predict(inputs) {
    return { y: Float64Array.from(inputs.x as Float64Array, (v) => 2 * v) };
  },
};

describe('createModelServer({ retention })', () => {
  it('prunes the log on its timer while predictions are answered, and exports the counter on /metrics', async () => {
    await seed('m', 300, 10 * DAY);
    const server = createModelServer({
      models: [{ name: 'm', predictor }],
      store,
      retention: { maxAgeMs: DAY, intervalMs: 20, batchSize: 10 },
      onError: noErrors,
    });
    const { url } = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    try {
      const res = await fetch(`${url}/v1/models/m/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: { x: [1, 2] } }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()) as unknown).toMatchObject({
        predictions: [{ outputs: { y: 2 } }, { outputs: { y: 4 } }],
      });
      await expect
        .poll(
          async () =>
            (await (await fetch(`${url}/metrics`)).text()).includes(`${RETENTION_METRIC_NAMES.pruned}{model="m"} 300`),
          {
            timeout: 20_000,
          },
        )
        .toBe(true);
      // The fresh prediction is kept (it is newer than a day).
      await server.logger!.flush();
      expect(await countOf('m')).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('answers predictions while a long pruning is in progress (the event loop runs between batches)', async () => {
    await seed('old', 600, 10 * DAY);
    const server = createModelServer({
      models: [{ name: 'm', predictor }],
      store,
      retention: { maxAgeMs: DAY, intervalMs: 3_600_000, batchSize: 2 },
      logging: false,
      onError: noErrors,
    });
    const { url } = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    const retention = startRetention({
      store,
      retention: { maxAgeMs: DAY, intervalMs: 3_600_000, batchSize: 2 },
      onError: noErrors,
    });
    try {
      let pruned = false;
      const pruning = retention.runOnce().then((r) => {
        pruned = true;
        return r;
      });
      const res = await fetch(`${url}/v1/models/m/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: { x: [3] } }),
      });
      expect(res.status).toBe(200);
      // Answered before the 300 batches of the pruning were done.
      expect(pruned).toBe(false);
      expect((await pruning).predictions).toBe(600);
    } finally {
      await retention.stop();
      await server.close();
    }
  });

  it('refuses retention without a store, and bad limits, at creation', () => {
    expect(() => createModelServer({ models: [{ name: 'm', predictor }], retention: { maxRows: 10 } })).toThrow(
      /store/,
    );
    expect(() =>
      createModelServer({ models: [{ name: 'm', predictor }], store, retention: { intervalMs: 1000 } }),
    ).toThrow(/maxAgeMs, maxRows/);
    expect(() => createModelServer({ models: [{ name: 'm', predictor }], store, retention: { maxRows: -1 } })).toThrow(
      /options\.retention\.maxRows/,
    );
  });
});
