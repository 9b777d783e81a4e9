import { describe, expect, it } from 'vitest';
import { ServeError } from '../errors.js';
import { isTimeout, raceSignal } from './race-signal.js';

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
