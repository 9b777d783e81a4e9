import type { ErrorRequestHandler } from 'express';
import { serverErrorResponse } from '../errors.js';
import type { ErrorContext } from '../options.js';
import type { RequestState } from './request-context.js';

/**
 * The last middleware: anything thrown becomes the one error body with its status (`serverErrorResponse`: core's
 * contract, the protocol's string form on `/v2/…`), `Retry-After` and `WWW-Authenticate` where they apply, and the
 * request id; server faults (5xx) go to `onError`, client mistakes do not (internal).
 */
export function errorHandler(onError: (err: unknown, context: ErrorContext) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const st = res.locals.mlops as RequestState | undefined;
    const e = serverErrorResponse(err, st?.requestId ?? '', req.path);
    if (e.unexpected) onError(err, { requestId: st?.requestId, method: req.method, path: req.path });
    res.locals.errorCode = e.code;
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e.status === 401) res.setHeader('www-authenticate', 'Bearer');
    if (e.retryAfter !== undefined) res.setHeader('retry-after', String(e.retryAfter));
    res.status(e.status).json(e.body);
  };
}
