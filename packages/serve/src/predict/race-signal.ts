import { ServeError } from '../errors.js';
import type { PredictCall } from './call.js';

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

/** What is left of a request's timeout, counted from its start (`performance.now()`), in whole ms, at least 1. */
export function remainingMs(call: { readonly start: number }, timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs - (performance.now() - call.start)));
}

function timeoutError(timeoutMs: number): ServeError {
  return new ServeError('TIMEOUT', { message: `The model did not answer within ${timeoutMs} ms`, retryAfter: 1 });
}

function abortError(signal: AbortSignal, timeoutMs: number): unknown {
  return isTimeout(signal.reason) ? timeoutError(timeoutMs) : signal.reason;
}

/**
 * {@link raceSignal} for the request path: settles with `work`, or rejects with `ServeError('TIMEOUT')` (504) after
 * `ms`, or with the call's cancel reason as soon as the client goes away. One promise and one timer per request, and
 * no `AbortController`: a call that can be cancelled says so through `watchCancel` (the request's state does); a call
 * without it races its `signal` (and the timer) instead. `timeoutMs` is the figure the 504's message names.
 */
export function raceDeadline<T>(work: Promise<T>, call: PredictCall, ms: number, timeoutMs: number): Promise<T> {
  if (call.cancelled) return Promise.reject(call.cancelled.reason);
  if (!call.watchCancel) return raceSignalFor(work, call.signal, ms, timeoutMs);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      call.watchCancel?.(undefined);
      reject(timeoutError(timeoutMs));
    }, ms);
    timer.unref();
    call.watchCancel?.((reason) => {
      clearTimeout(timer);
      reject(reason);
    });
    work.then(
      (value) => {
        clearTimeout(timer);
        call.watchCancel?.(undefined);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        call.watchCancel?.(undefined);
        reject(err);
      },
    );
  });
}

/** A call that only has a signal: the signal and a timer, raced. */
async function raceSignalFor<T>(work: Promise<T>, signal: AbortSignal, ms: number, timeoutMs: number): Promise<T> {
  const deadline = deadlineSignal(signal, ms);
  try {
    return await raceSignal(work, deadline.signal, timeoutMs);
  } finally {
    deadline.clear();
  }
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
