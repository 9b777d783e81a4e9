import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { timeOrderedId } from '@mlops/core';
import { errorResponse, HttpError } from '@mlops/core/http';
import type { ErrorContext } from './options.js';

/** Options of {@link ModelServer.listen}. */
export interface ListenOptions {
  /**
   * @default 8080 (0 picks a free port)
   */
  port?: number;
  /**
   * A non-loopback address turns auth on (`auth: 'auto'`), and refuses to start when no store holds API keys.
   * @default the server's `host`
   */
  host?: string;
  /**
   * Signals that drain and close the server (in-flight requests finish, the prediction log is flushed).
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
}

/** A listening server from {@link ModelServer.listen}. */
export interface ListeningServer {
  /** The Node HTTP server. */
  server: Server;
  /** `http://host:port`. */
  url: string;
  /** Stops accepting connections, drains, flushes the log, and removes the signal handlers. */
  close(): Promise<void>;
}

/** Options of {@link createLifecycle} (internal). */
export interface LifecycleOptions {
  /** Longest `shutdown()` waits for in-flight requests. */
  drainTimeoutMs: number;
  /** The address `listen()` binds when none is given. */
  host: string;
  /** Follows the in-flight count (the `mlops_http_requests_in_flight` gauge). */
  inFlightGauge?: { inc(): void; dec(): void };
  /**
   * Called with each address `listen()` is about to bind, then with the address it bound (a host name may resolve to
   * a non-loopback address); throws to refuse it (auth fails closed off loopback without a key store).
   */
  checkAddress(address: string): void;
  /** Runs once the requests have drained (or the drain timed out): closes models, flushes the prediction log. */
  afterDrain(): Promise<void>;
  onError(err: unknown, context: ErrorContext): void;
}

/** The server's in-flight count, drain, shutdown and listeners (internal). */
export interface Lifecycle {
  /** True once shutdown has started: new requests get 503 `SHUTTING_DOWN`. */
  readonly closing: boolean;
  /** Requests (and `server.predict` calls) being processed. */
  readonly inFlight: number;
  /** A request started (with its response, when it is an HTTP request: see `shutdown`). */
  enter(res?: ServerResponse): void;
  /** A request finished (call once per `enter`, with the same response). */
  leave(res?: ServerResponse): void;
  /** Listens with `handler` on a port, and drains on the given signals. */
  listen(handler: RequestListener, options?: ListenOptions): Promise<ListeningServer>;
  /**
   * Stops taking requests, ends the server-sent event streams in flight (the registry's `/events`: they never end by
   * themselves, and their clients reconnect elsewhere), waits for the other requests (at most `drainTimeoutMs`), then
   * runs `afterDrain` (once).
   */
  shutdown(): Promise<void>;
  /** Closes every listener opened by `listen()` (removing its signal handlers), then shuts down. Idempotent. */
  close(): Promise<void>;
}

/** The error a request the HTTP parser refused answers with (the parser's `code`: `HPE_…`, a timeout). */
function clientErrorOf(code: string | undefined): HttpError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new HttpError('PAYLOAD_TOO_LARGE', {
      message: 'The request headers are too large',
      details: [{ path: '(headers)', message: 'Too large' }],
    });
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new HttpError('TIMEOUT', { message: 'The request did not arrive in time' });
  }
  return new HttpError('INVALID_INPUT', {
    message: 'Malformed HTTP request',
    details: [{ path: '(request)', message: `Refused by the HTTP parser (${code ?? 'unknown'})` }],
  });
}

/**
 * Answers a request Node's HTTP parser refused (a broken chunked body, conflicting lengths, headers over the limit, a
 * request or headers timeout) with the one error body, a request id and `Connection: close`, where Node would send a
 * bare status line (internal). A socket already answering, or gone, is only destroyed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  const answering = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const requestId = timeOrderedId();
  const { status, body } = errorResponse(clientErrorOf(err.code), requestId);
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${status === 413 ? 'Payload Too Large' : status === 504 ? 'Gateway Timeout' : 'Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n` +
      `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${payload}`,
  );
}

/** Creates the server's {@link Lifecycle} (internal). */
export function createLifecycle(options: LifecycleOptions): Lifecycle {
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  let shutdownPromise: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  /** The `stop` of every listener opened by `listen()` and not yet closed. */
  const listeners = new Set<() => Promise<void>>();
  const gauge = options.inFlightGauge;
  /** The responses of the HTTP requests in flight. */
  const responses = new Set<ServerResponse>();

  const lifecycle: Lifecycle = {
    get closing() {
      return closing;
    },
    get inFlight() {
      return inFlight;
    },
    enter(res) {
      inFlight++;
      if (res) responses.add(res);
      gauge?.inc();
    },
    leave(res) {
      if (res) responses.delete(res);
      inFlight--;
      gauge?.dec();
      if (inFlight === 0) drained?.();
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        closing = true;
        for (const res of responses) {
          const type = res.getHeader('content-type');
          if (typeof type === 'string' && type.startsWith('text/event-stream')) res.end();
        }
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, options.drainTimeoutMs);
            t.unref?.();
            drained = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
        await options.afterDrain();
      })();
      return shutdownPromise;
    },
    async listen(handler, opts = {}) {
      const port = opts.port ?? 8080;
      const bindHost = opts.host ?? options.host;
      // Fail closed before binding: a refused address never opens a port.
      options.checkAddress(bindHost);
      const http = createServer(handler);
      http.on('clientError', answerClientError);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, bindHost, () => {
          http.off('error', reject);
          resolve();
        });
      });
      const addr = http.address() as AddressInfo;
      try {
        options.checkAddress(addr.address);
      } catch (err) {
        await new Promise<void>((r) => http.close(() => r()));
        throw err;
      }
      const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      let stopping: Promise<void> | undefined;
      const stop = () => {
        stopping ??= (async () => {
          for (const s of signals) process.off(s, onSignal);
          const closedHttp = new Promise<void>((r) => http.close(() => r()));
          http.closeIdleConnections();
          try {
            await lifecycle.shutdown();
          } finally {
            http.closeAllConnections();
            await closedHttp;
            listeners.delete(stop);
          }
        })();
        return stopping;
      };
      listeners.add(stop);
      const onSignal = () => {
        void stop().catch((err) => options.onError(err, { where: 'shutdown' }));
      };
      const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
      for (const s of signals) process.on(s, onSignal);
      return { server: http, url, close: stop };
    },
    close() {
      closed ??= (async () => {
        await Promise.allSettled([...listeners].map((stop) => stop()));
        await lifecycle.shutdown();
      })();
      return closed;
    },
  };
  return lifecycle;
}
