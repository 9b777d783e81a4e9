import { ServeError } from '../errors.js';

/** Options of {@link createLimiter}. */
export interface LimiterOptions {
  /**
   * Requests processed at once.
   * @default 64
   */
  maxConcurrency?: number;
  /**
   * Requests waiting for a slot; beyond it requests are refused with `OVERLOADED` (503).
   * @default 256
   */
  maxQueue?: number;
  /**
   * Seconds sent as `Retry-After` with a refusal.
   * @default 1
   */
  retryAfterSeconds?: number;
}

/** A concurrency limit with a bounded FIFO queue. */
export interface Limiter {
  /**
   * Waits for a slot and returns its release function (call it exactly once). Throws `ServeError('OVERLOADED')` when
   * the queue is full, or the signal's reason when aborted while queued.
   */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /**
   * Takes a free slot at once and returns its release function, or `undefined` when every slot is taken (then wait
   * with {@link Limiter.acquire}). The request path's fast path: no promise, no signal.
   */
  tryAcquire(): (() => void) | undefined;
  /** Requests holding a slot. */
  readonly active: number;
  /** Requests waiting for a slot. */
  readonly queued: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Creates a {@link Limiter}: at most `maxConcurrency` holders, at most `maxQueue` waiters, FIFO. */
export function createLimiter(options: LimiterOptions = {}): Limiter {
  const maxConcurrency = options.maxConcurrency ?? 64;
  const maxQueue = options.maxQueue ?? 256;
  const retryAfter = options.retryAfterSeconds ?? 1;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw new RangeError('maxConcurrency must be ≥ 1');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be ≥ 0');
  let active = 0;
  const queue: Waiter[] = [];

  const makeRelease = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      if (next) {
        if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve(makeRelease()); // hand the slot over: `active` is unchanged
      } else {
        active--;
      }
    };
  };

  return {
    tryAcquire() {
      // Waiters come first: a free slot is handed to the queue's head by `release`, so none is free while any waits.
      if (active >= maxConcurrency) return undefined;
      active++;
      return makeRelease();
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (active < maxConcurrency) {
        active++;
        return Promise.resolve(makeRelease());
      }
      if (queue.length >= maxQueue) {
        return Promise.reject(
          new ServeError('OVERLOADED', {
            message: 'The server is overloaded; retry later',
            retryAfter,
            details: { active, queued: queue.length },
          }),
        );
      }
      return new Promise((resolve, reject) => {
        const w: Waiter = { resolve, reject, signal, onAbort: undefined };
        if (signal) {
          w.onAbort = () => {
            const i = queue.indexOf(w);
            if (i >= 0) queue.splice(i, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
        queue.push(w);
      });
    },
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
  };
}
