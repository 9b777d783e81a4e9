import { randomUUID } from 'node:crypto';
import type { ApiKeyPrincipal } from '@mlops/core/auth';
import { isRequestId } from '@mlops/core/http';
import type { RequestHandler, Response } from 'express';
import { ServeError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ServerMetrics } from '../metrics.js';
import type { Admission, PredictCall } from '../predict/call.js';

/** What the server keeps about one request, in `res.locals.mlops` (internal). */
export interface RequestState {
  requestId: string;
  start: number;
  abort: AbortController;
  principal: ApiKeyPrincipal | undefined;
  /** The model and version of the request's metric labels ('' when none). */
  model: string;
  version: string;
  /** The limiter slot (or queue place) a predict route took before reading the body. */
  admission: Admission | undefined;
}

/** The state of a request that went through {@link requestContext} (internal). */
export function requestState(res: Response): RequestState {
  return res.locals.mlops as RequestState;
}

/** The request's state as the prediction runner's call (internal). */
export function predictCallOf(st: RequestState): PredictCall {
  return {
    requestId: st.requestId,
    start: st.start,
    signal: st.abort.signal,
    onVersion: (v) => {
      st.version = v;
    },
    admission: st.admission,
  };
}

/** Options of {@link requestContext} (internal). */
export interface RequestContextOptions {
  lifecycle: Lifecycle;
  metrics: Pick<ServerMetrics, 'requests' | 'duration' | 'errors'>;
  retryAfterSeconds: number;
}

/**
 * The first middleware: the request id (`x-request-id`, kept when the client sent a valid one), the in-flight count,
 * the request's metrics when it finishes, the abort of its prediction when the client goes away, and 503
 * `SHUTTING_DOWN` once the server is closing (health routes still answer).
 */
export function requestContext(options: RequestContextOptions): RequestHandler {
  const { lifecycle, metrics, retryAfterSeconds } = options;
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const requestId = isRequestId(given) ? given : randomUUID();
    const st: RequestState = {
      requestId,
      start: performance.now(),
      abort: new AbortController(),
      principal: undefined,
      model: '',
      version: '',
      admission: undefined,
    };
    res.locals.mlops = st;
    res.setHeader('x-request-id', requestId);
    lifecycle.enter();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (st.admission && !st.admission.handedOver) st.admission.release();
      if (!res.writableFinished) st.abort.abort(new ServeError('INVALID_INPUT', 'client closed the connection'));
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, model: st.model, version: st.version };
      metrics.requests.inc({ ...labels, status: String(res.statusCode) });
      metrics.duration.observe(labels, (performance.now() - st.start) / 1000);
      if (res.statusCode >= 400) metrics.errors.inc({ code: String(res.locals.errorCode ?? res.statusCode), route });
      lifecycle.leave();
    };
    res.on('finish', finish);
    res.on('close', finish);
    if (lifecycle.closing && !req.path.startsWith('/v2/health')) {
      res.setHeader('connection', 'close');
      next(new ServeError('SHUTTING_DOWN', { message: 'The server is shutting down', retryAfter: retryAfterSeconds }));
      return;
    }
    next();
  };
}
