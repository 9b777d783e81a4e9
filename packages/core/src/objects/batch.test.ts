import { describe, expect, it } from 'vitest';
import { mapLimit } from './batch.js';

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6, 7], 3, async (x, i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick(x);
      inFlight--;
      return `${i}:${x}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6', '7:7']);
    expect(most).toBe(3);
  });

  it('pulls items lazily: a generator is asked for the next item only when a slot is free', async () => {
    let produced = 0;
    let completed = 0;
    const ahead: number[] = [];
    function* items() {
      for (let i = 0; i < 10; i++) {
        produced++;
        ahead.push(produced - completed); // items handed out and not finished, this one included
        yield i;
      }
    }
    await mapLimit(items(), 2, async () => {
      await tick();
      completed++;
    });
    expect(produced).toBe(10);
    expect(Math.max(...ahead)).toBeLessThanOrEqual(3);
  });

  it('stops at the first failure, waits for the calls in flight, and throws it', async () => {
    const started: number[] = [];
    let finished = 0;
    const err = await mapLimit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2, async (x) => {
      started.push(x);
      await tick(2);
      finished++;
      if (x === 2) throw new Error('boom');
      return x;
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('boom');
    expect(started.length).toBeLessThan(10);
    expect(finished).toBe(started.length); // nothing left running
  });

  it('works with async iterables and an abort signal', async () => {
    async function* items() {
      for (let i = 0; i < 5; i++) yield i;
    }
    expect(await mapLimit(items(), 4, async (x) => x * 2)).toEqual([0, 2, 4, 6, 8]);
    const ac = new AbortController();
    ac.abort();
    await expect(mapLimit([1, 2], 1, async (x) => x, ac.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(mapLimit([1], 0, async (x) => x)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
