import type { RequestHandler } from 'express';
import { ServeError } from '../errors.js';
import type { Limiter } from '../scheduler/limiter.js';

/** A limiter slot a request took before its body was read; `release` is idempotent. */
export interface Admission {
  release: () => void;
  /** Set once the prediction owns the slot (it then releases it when the predictor finishes). */
  handedOver: boolean;
}

/**
 * Refuses a body announced larger than `maxBodyBytes` with 413 before reading any of it, and closes the connection
 * afterwards so the server does not read (and discard) the rest to keep it alive. Bodies without a length are still
 * cut off at the limit by the JSON parser.
 */
export function contentLengthLimit(maxBodyBytes: number): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['content-length'];
    if (header !== undefined && Number(header) > maxBodyBytes) {
      res.setHeader('connection', 'close');
      next(
        new ServeError('PAYLOAD_TOO_LARGE', {
          message: `The request body is too large (${header} bytes; at most ${maxBodyBytes})`,
          details: [{ path: '(headers).content-length', message: `At most ${maxBodyBytes} bytes` }],
        }),
      );
      return;
    }
    next();
  };
}

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
