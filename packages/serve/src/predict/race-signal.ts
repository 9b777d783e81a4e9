import { ServeError } from '../errors.js';

/** True for the reason `AbortSignal.timeout()` aborts with. */
export function isTimeout(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'TimeoutError';
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts: with `ServeError('TIMEOUT')` (504) when it timed out,
 * else with the signal's reason (the client went away). `work` keeps running: whoever started it releases what it
 * holds when it settles.
 */
export async function raceSignal<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  if (signal.aborted) throw abortError(signal, timeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal, timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
    aborted.catch(() => {});
  }
}

function abortError(signal: AbortSignal, timeoutMs: number): unknown {
  return isTimeout(signal.reason)
    ? new ServeError('TIMEOUT', { message: `The model did not answer within ${timeoutMs} ms`, retryAfter: 1 })
    : signal.reason;
}

/**
 * A signal that aborts when `parent` does (with its reason) or after `ms` (with a `TimeoutError`, as
 * `AbortSignal.timeout` does), and `clear()`, which drops the timer and the listener once the signal is no longer
 * needed. It replaces `AbortSignal.any([parent, AbortSignal.timeout(ms)])` on the request path: that one allocates
 * weak references and a timer that live until the garbage collector finds them, about 9 % of the server's CPU per
 * request in a profile (bench/serve-overhead.bench.mjs).
 */
export function deadlineSignal(parent: AbortSignal, ms: number): { signal: AbortSignal; clear: () => void } {
  const ctl = new AbortController();
  if (parent.aborted) {
    ctl.abort(parent.reason);
    return { signal: ctl.signal, clear: () => {} };
  }
  const onAbort = () => {
    clearTimeout(timer);
    ctl.abort(parent.reason);
  };
  const timer = setTimeout(() => {
    parent.removeEventListener('abort', onAbort);
    ctl.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    clear: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
