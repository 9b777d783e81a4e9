import { describe, expect, it } from 'vitest';
import { ServeError } from '../errors.js';
import { createLimiter } from './limiter.js';

describe('createLimiter', () => {
  it('gives at most maxConcurrency slots and hands a released slot to the first waiter (FIFO)', async () => {
    const limiter = createLimiter({ maxConcurrency: 2, maxQueue: 4 });
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    expect([limiter.active, limiter.queued]).toEqual([2, 0]);
    const order: string[] = [];
    const c = limiter.acquire().then((release) => {
      order.push('c');
      return release;
    });
    const d = limiter.acquire().then((release) => {
      order.push('d');
      return release;
    });
    expect([limiter.active, limiter.queued]).toEqual([2, 2]);
    a();
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect([limiter.active, limiter.queued]).toEqual([2, 1]);
    b();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it('a release function works once: calling it twice frees one slot', async () => {
    const limiter = createLimiter({ maxConcurrency: 1 });
    const release = await limiter.acquire();
    release();
    release();
    expect(limiter.active).toBe(0);
    const again = await limiter.acquire();
    expect(limiter.active).toBe(1);
    const waiting = limiter.acquire();
    release(); // a stale release must not free the slot `again` holds
    expect([limiter.active, limiter.queued]).toEqual([1, 1]);
    again();
    (await waiting)();
    expect(limiter.active).toBe(0);
  });

  it('refuses with OVERLOADED (Retry-After, counts in details) when the queue is full', async () => {
    const limiter = createLimiter({ maxConcurrency: 1, maxQueue: 1, retryAfterSeconds: 7 });
    const release = await limiter.acquire();
    const queued = limiter.acquire();
    const err = await limiter.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeError);
    expect(err).toMatchObject({ code: 'OVERLOADED', retryAfter: 7, details: { active: 1, queued: 1 } });
    release();
    (await queued)();
  });

  it('maxQueue 0 refuses as soon as every slot is taken', async () => {
    const limiter = createLimiter({ maxConcurrency: 1, maxQueue: 0 });
    const release = await limiter.acquire();
    await expect(limiter.acquire()).rejects.toMatchObject({ code: 'OVERLOADED' });
    release();
  });

  it('an aborted waiter leaves the queue with the signal reason and never gets a slot', async () => {
    const limiter = createLimiter({ maxConcurrency: 1 });
    const release = await limiter.acquire();
    const abort = new AbortController();
    const waiting = limiter.acquire(abort.signal);
    expect(limiter.queued).toBe(1);
    const reason = new Error('client went away');
    abort.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(limiter.queued).toBe(0);
    release();
    expect(limiter.active).toBe(0);
  });

  it('an already aborted signal is refused at once', async () => {
    const limiter = createLimiter();
    await expect(limiter.acquire(AbortSignal.abort('gone'))).rejects.toBe('gone');
    expect(limiter.active).toBe(0);
  });

  it.each([[{ maxConcurrency: 0 }], [{ maxConcurrency: 1.5 }], [{ maxQueue: -1 }]])(
    'rejects invalid options %j',
    (opts) => {
      expect(() => createLimiter(opts)).toThrow(RangeError);
    },
  );

  it('tryAcquire takes a free slot at once, answers undefined when all are taken, and never jumps the queue', async () => {
    const limiter = createLimiter({ maxConcurrency: 1, maxQueue: 2 });
    const release = limiter.tryAcquire();
    expect(release).toBeTypeOf('function');
    expect(limiter.tryAcquire()).toBeUndefined();
    const waiting = limiter.acquire();
    expect(limiter.queued).toBe(1);
    release!(); // handed to the waiter: still no free slot for tryAcquire
    expect(limiter.tryAcquire()).toBeUndefined();
    const second = await waiting;
    second();
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
    const again = limiter.tryAcquire();
    expect(limiter.active).toBe(1);
    again!();
    again!(); // idempotent
    expect(limiter.active).toBe(0);
  });
});
