import { describe, expect, it } from 'vitest';
import { ServeError } from '../errors.js';
import type { PredictCall } from './call.js';
import { deadlineSignal, isTimeout, raceDeadline, raceSignal } from './race-signal.js';

const never = () => new Promise<never>(() => {});

describe('raceSignal', () => {
  it('settles with the work when the signal does not abort', async () => {
    await expect(raceSignal(Promise.resolve(42), new AbortController().signal, 100)).resolves.toBe(42);
    const err = new Error('model failed');
    await expect(raceSignal(Promise.reject(err), new AbortController().signal, 100)).rejects.toBe(err);
  });

  it('a timeout becomes ServeError TIMEOUT naming the limit, with Retry-After', async () => {
    const err = await raceSignal(never(), AbortSignal.timeout(5), 1234).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeError);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryAfter: 1, message: 'The model did not answer within 1234 ms' });
  });

  it('any other abort rejects with the signal reason (the client went away)', async () => {
    const abort = new AbortController();
    const raced = raceSignal(never(), abort.signal, 100);
    const reason = new ServeError('INVALID_INPUT', 'client closed the connection');
    abort.abort(reason);
    await expect(raced).rejects.toBe(reason);
  });

  it('an already aborted signal rejects before waiting', async () => {
    await expect(raceSignal(never(), AbortSignal.abort('gone'), 100)).rejects.toBe('gone');
  });

  it('removes its abort listener once settled', async () => {
    const abort = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = abort.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      add(...a);
    }) as typeof add;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      removed++;
      remove(...a);
    }) as typeof remove;
    await raceSignal(Promise.resolve(1), signal, 100);
    expect([added, removed]).toEqual([1, 1]);
  });
});

describe('isTimeout', () => {
  it.each([
    [new DOMException('t', 'TimeoutError'), true],
    [new DOMException('a', 'AbortError'), false],
    [undefined, false],
    ['TimeoutError', false],
  ])('%s → %s', (err, expected) => {
    expect(isTimeout(err)).toBe(expected);
  });
});

describe('deadlineSignal', () => {
  const aborted = (signal: AbortSignal) =>
    new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

  it('aborts with a TimeoutError when the time is up, which raceSignal reports as TIMEOUT', async () => {
    const parent = new AbortController();
    const { signal } = deadlineSignal(parent.signal, 5);
    expect(isTimeout(await aborted(signal))).toBe(true);
    await expect(raceSignal(new Promise(() => {}), signal, 5)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(parent.signal.aborted).toBe(false);
  });

  it("aborts with the parent's reason when the parent aborts first, and at once when it already had", async () => {
    const parent = new AbortController();
    const { signal } = deadlineSignal(parent.signal, 60_000);
    const reason = new Error('client went away');
    const seen = aborted(signal);
    parent.abort(reason);
    expect(await seen).toBe(reason);
    const late = deadlineSignal(parent.signal, 60_000);
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(reason);
  });

  it('clear() drops the timer and the listener: the signal never aborts afterwards', async () => {
    const parent = new AbortController();
    const d = deadlineSignal(parent.signal, 5);
    d.clear();
    await new Promise((r) => setTimeout(r, 40));
    parent.abort(new Error('after clear'));
    expect(d.signal.aborted).toBe(false);
  });
});

/** A call that can be cancelled as a request's state is (one listener slot). */
function cancellableCall() {
  let listener: ((reason: unknown) => void) | undefined;
  const call = {
    requestId: 'r',
    start: performance.now(),
    signal: new AbortController().signal,
    cancelled: undefined as { reason: unknown } | undefined,
    watchCancel(l: ((reason: unknown) => void) | undefined) {
      listener = l;
    },
    cancel(reason: unknown) {
      call.cancelled = { reason };
      listener?.(reason);
    },
    get watching() {
      return listener !== undefined;
    },
  };
  return call satisfies PredictCall;
}

describe('raceDeadline', () => {
  it('settles with the work and stops watching the call', async () => {
    const call = cancellableCall();
    await expect(raceDeadline(Promise.resolve(7), call, 1000, 1000)).resolves.toBe(7);
    expect(call.watching).toBe(false);
    const err = new Error('model failed');
    await expect(raceDeadline(Promise.reject(err), call, 1000, 1000)).rejects.toBe(err);
    expect(call.watching).toBe(false);
  });

  it('times out with ServeError TIMEOUT naming the request timeout', async () => {
    const call = cancellableCall();
    const err = await raceDeadline(never(), call, 5, 30000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', message: 'The model did not answer within 30000 ms' });
    expect(call.watching).toBe(false);
  });

  it('rejects with the reason as soon as the client goes away, and at once when it already has', async () => {
    const call = cancellableCall();
    const raced = raceDeadline(never(), call, 10000, 10000);
    const reason = new ServeError('INVALID_INPUT', 'client closed the connection');
    call.cancel(reason);
    await expect(raced).rejects.toBe(reason);
    await expect(raceDeadline(never(), call, 10000, 10000)).rejects.toBe(reason);
  });

  it('a call with only a signal races the signal', async () => {
    const abort = new AbortController();
    const call: PredictCall = { requestId: 'r', start: performance.now(), signal: abort.signal };
    const raced = raceDeadline(never(), call, 10000, 10000);
    abort.abort('gone');
    await expect(raced).rejects.toBe('gone');
    const timedOut = await raceDeadline(never(), call, 5, 77).catch((e: unknown) => e);
    // The signal is already aborted: its reason wins over the timer.
    expect(timedOut).toBe('gone');
    const fresh: PredictCall = { requestId: 'r', start: 0, signal: new AbortController().signal };
    await expect(raceDeadline(never(), fresh, 5, 77)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});
