import type { Columns } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.js';

/** A predictor that doubles `x` and records each call's rows; `gate` holds calls until released. */
function recorder() {
  const calls: number[][] = [];
  let open: (() => void)[] = [];
  let held = false;
  return {
    calls,
    hold() {
      held = true;
    },
    release() {
      held = false;
      const o = open;
      open = [];
      for (const f of o) f();
    },
    async predict(inputs: Columns): Promise<Columns> {
      const x = Array.from(inputs.x as ArrayLike<number>);
      calls.push(x);
      if (held) await new Promise<void>((r) => open.push(r));
      return { y: Float64Array.from(x, (v) => 2 * v) };
    },
  };
}

const col = (...x: number[]): Columns => ({ x: Float64Array.from(x) });

describe('createBatcher', () => {
  it('an idle predictor gets a request at once (maxWaitMs 0): no batching under light traffic', async () => {
    const p = recorder();
    const batcher = createBatcher({ predict: p.predict });
    expect([...((await batcher.run(col(1))).y as Float64Array)]).toEqual([2]);
    expect([...((await batcher.run(col(2))).y as Float64Array)]).toEqual([4]);
    expect(p.calls).toEqual([[1], [2]]);
  });

  it('requests arriving while a call runs form one batch, and each gets its own rows back', async () => {
    const p = recorder();
    const sizes: number[] = [];
    const batcher = createBatcher({ predict: p.predict, onBatch: (rows) => sizes.push(rows) });
    p.hold();
    const first = batcher.run(col(1));
    const second = batcher.run(col(2, 3));
    const third = batcher.run(col(4));
    expect(batcher.pendingRows).toBe(3);
    p.release();
    await first;
    p.release();
    const [b, c] = await Promise.all([second, third]);
    expect([...(b.y as Float64Array)]).toEqual([4, 6]);
    expect([...(c.y as Float64Array)]).toEqual([8]);
    expect(p.calls).toEqual([[1], [2, 3, 4]]);
    expect(sizes).toEqual([1, 3]);
    expect(batcher.pendingRows).toBe(0);
  });

  it('a batch never exceeds maxBatchSize rows, but a single larger request is sent alone, never split', async () => {
    const p = recorder();
    const batcher = createBatcher({ predict: p.predict, maxBatchSize: 2 });
    p.hold();
    const runs = [batcher.run(col(0)), batcher.run(col(1)), batcher.run(col(2)), batcher.run(col(3, 4, 5))];
    for (let i = 0; i < 4; i++) {
      p.release();
      await new Promise((r) => setImmediate(r));
    }
    p.release();
    await Promise.all(runs);
    expect(p.calls).toEqual([[0], [1, 2], [3, 4, 5]]);
  });

  it('maxInFlight calls run at once', async () => {
    const p = recorder();
    const batcher = createBatcher({ predict: p.predict, maxInFlight: 2 });
    p.hold();
    const runs = [batcher.run(col(1)), batcher.run(col(2)), batcher.run(col(3))];
    await new Promise((r) => setImmediate(r));
    expect(p.calls).toEqual([[1], [2]]);
    p.release();
    await new Promise((r) => setImmediate(r));
    p.release();
    await Promise.all(runs);
    expect(p.calls).toEqual([[1], [2], [3]]);
  });

  it('with maxWaitMs an idle predictor waits for more requests before calling', async () => {
    const p = recorder();
    const batcher = createBatcher({ predict: p.predict, maxWaitMs: 20 });
    const runs = [batcher.run(col(1)), batcher.run(col(2))];
    expect(p.calls).toEqual([]);
    await Promise.all(runs);
    expect(p.calls).toEqual([[1, 2]]);
  });

  it('a failing call rejects every request of its batch, and later requests still run', async () => {
    let fail = true;
    const batcher = createBatcher({
      predict: async (inputs) => {
        if (fail) throw new Error('model crashed');
        return { y: inputs.x! };
      },
      maxWaitMs: 5,
    });
    const results = await Promise.allSettled([batcher.run(col(1)), batcher.run(col(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect([...((await batcher.run(col(3))).y as Float64Array)]).toEqual([3]);
  });

  it('a predictor answering the wrong number of rows rejects the batch', async () => {
    const batcher = createBatcher({ predict: async () => ({ y: Float64Array.of(1) }), maxWaitMs: 5 });
    const results = await Promise.allSettled([batcher.run(col(1)), batcher.run(col(2))]);
    expect(results[0]).toMatchObject({
      status: 'rejected',
      reason: { message: 'predictor returned 1 rows for 2 inputs' },
    });
  });

  it('idle() resolves once nothing is queued or running', async () => {
    const p = recorder();
    const batcher = createBatcher({ predict: p.predict });
    await batcher.idle();
    p.hold();
    const run = batcher.run(col(1));
    let idle = false;
    const waiting = batcher.idle().then(() => {
      idle = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    p.release();
    await run;
    await waiting;
    expect(idle).toBe(true);
  });

  it.each([[{ maxBatchSize: 0 }], [{ maxWaitMs: -1 }], [{ maxInFlight: 0 }]])('rejects invalid options %j', (opts) => {
    expect(() => createBatcher({ predict: async (c) => c, ...opts })).toThrow(RangeError);
  });
});
