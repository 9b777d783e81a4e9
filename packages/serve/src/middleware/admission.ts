import type { RequestHandler, Response } from 'express';
import { ServeError } from '../errors.js';
import type { Admission } from '../predict/call.js';
import { deadlineSignal, remainingMs } from '../predict/race-signal.js';
import type { Limiter } from '../scheduler/limiter.js';
import { type RequestState, requestState } from './request-context.js';

export type { Admission };

/** Options of {@link acquireSlot}. */
export interface AcquireSlotOptions {
  requestTimeoutMs: number;
  retryAfterSeconds: number;
}

/**
 * Takes a limiter slot, waiting in its queue; a full queue throws `OVERLOADED` at once (503 + `Retry-After`), and so
 * does no slot within the request timeout. Other aborts (the client went away) throw the signal's reason.
 */
export async function acquireSlot(
  limiter: Limiter,
  signal: AbortSignal,
  options: AcquireSlotOptions,
): Promise<() => void> {
  try {
    return await limiter.acquire(signal);
  } catch (err) {
    if ((err as { name?: unknown } | null)?.name === 'TimeoutError') {
      throw new ServeError('OVERLOADED', {
        message: `No capacity within ${options.requestTimeoutMs} ms; retry later`,
        retryAfter: options.retryAfterSeconds,
      });
    }
    throw err;
  }
}

/**
 * Waits in the limiter's queue for a slot until what is left of the request's timeout (`OVERLOADED` after it), or
 * until the client goes away (the call's signal); the caller first tries `limiter.tryAcquire()` (internal).
 */
export async function waitForSlot(
  limiter: Limiter,
  call: { readonly start: number; readonly signal: AbortSignal },
  options: AcquireSlotOptions,
): Promise<() => void> {
  const deadline = deadlineSignal(call.signal, remainingMs(call, options.requestTimeoutMs));
  try {
    return await acquireSlot(limiter, deadline.signal, options);
  } finally {
    deadline.clear();
  }
}

/** Options of {@link admitPrediction} (internal). */
export interface AdmitPredictionOptions extends AcquireSlotOptions {
  limiter: Limiter;
  /** Throws `NOT_FOUND` for a model that is not served (and labels the request's metrics with it). */
  checkModel(name: string, res: Response): void;
}

/**
 * Predict routes take their limiter slot (or queue place) before the body is read, so overload is refused at once: a
 * full queue answers 503 + `Retry-After` without reading or parsing anything. The slot is handed over to the
 * prediction, or released when the request ends without one.
 */
export function admitPrediction(options: AdmitPredictionOptions): RequestHandler {
  const { limiter, checkModel } = options;
  const wait = async (st: RequestState, res: Response, next: (err?: unknown) => void) => {
    try {
      const release = await waitForSlot(limiter, st, options);
      // The client may have gone just as the slot came: `finish` has run and will not release it.
      if (res.writableEnded || res.destroyed) {
        release();
        return;
      }
      st.admission = { release, handedOver: false };
      next();
    } catch (err) {
      next(err);
    }
  };
  return (req, res, next) => {
    let st: RequestState;
    try {
      checkModel(String(req.params.name), res);
      st = requestState(res);
    } catch (err) {
      next(err);
      return;
    }
    // A free slot is taken at once; only a full server waits (with a deadline and the client's signal).
    const release = limiter.tryAcquire();
    if (release) {
      st.admission = { release, handedOver: false };
      next();
      return;
    }
    void wait(st, res, next);
  };
}
