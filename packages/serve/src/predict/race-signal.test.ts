import { describe, expect, it } from 'vitest';
import { ServeError } from '../errors.js';
import { deadlineSignal, isTimeout, raceSignal } from './race-signal.js';

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
