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
