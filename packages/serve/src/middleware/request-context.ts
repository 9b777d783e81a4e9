import { timeOrderedId } from '@mlops/core';
import type { ApiKeyPrincipal } from '@mlops/core/auth';
import { isRequestId } from '@mlops/core/http';
import type { RequestHandler, Response } from 'express';
import { ServeError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ServerMetrics } from '../metrics.js';
import type { Admission, PredictCall } from '../predict/call.js';

/**
 * What the server keeps about one request, in `res.locals.mlops`; it is also the request's {@link PredictCall}
 * (internal). Its methods live on the prototype and its `AbortController` is made only when something asks for the
 * signal, so a request allocates one object here.
 */
export class RequestState implements PredictCall {
  principal: ApiKeyPrincipal | undefined = undefined;
  /** The model and version of the request's metric labels ('' when none). */
  model = '';
  version = '';
  /** The limiter slot (or queue place) a predict route took before reading the body. */
  admission: Admission | undefined = undefined;
  cancelled: { reason: unknown } | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  #onCancel: ((reason: unknown) => void) | undefined = undefined;

  constructor(
    readonly requestId: string,
    readonly start: number,
  ) {}

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.cancelled) this.#controller.abort(this.cancelled.reason);
    }
    return this.#controller.signal;
  }

  watchCancel(listener: ((reason: unknown) => void) | undefined): void {
    this.#onCancel = listener;
  }

  onVersion(version: string): void {
    this.version = version;
  }

  /** The client went away: aborts the signal (if made) and tells the listener, once. */
  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = { reason };
    this.#controller?.abort(reason);
    const listener = this.#onCancel;
    this.#onCancel = undefined;
    listener?.(reason);
  }
}

/** The state of a request that went through {@link requestContext} (internal). */
export function requestState(res: Response): RequestState {
  return res.locals.mlops as RequestState;
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
    const requestId = isRequestId(given) ? given : timeOrderedId();
    const st = new RequestState(requestId, performance.now());
    res.locals.mlops = st;
    res.setHeader('x-request-id', requestId);
    lifecycle.enter(res);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (st.admission && !st.admission.handedOver) st.admission.release();
      if (!res.writableFinished) st.cancel(new ServeError('INVALID_INPUT', 'client closed the connection'));
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const { method } = req;
      metrics.requests.inc({ method, route, model: st.model, version: st.version, status: String(res.statusCode) });
      metrics.duration.observe(
        { method, route, model: st.model, version: st.version },
        (performance.now() - st.start) / 1000,
      );
      if (res.statusCode >= 400) metrics.errors.inc({ code: String(res.locals.errorCode ?? res.statusCode), route });
      lifecycle.leave(res);
    };
    // 'close' follows 'finish' on every response (Node emits it on the next tick), and alone when the client went
    // away first: one listener does both.
    res.once('close', finish);
    if (lifecycle.closing && !req.path.startsWith('/v2/health')) {
      res.setHeader('connection', 'close');
      next(new ServeError('SHUTTING_DOWN', { message: 'The server is shutting down', retryAfter: retryAfterSeconds }));
      return;
    }
    next();
  };
}
