import type { FieldIssue } from '@mlops/core';
import {
  HTTP_STATUS_BY_CODE as CORE_HTTP_STATUS_BY_CODE,
  type ErrorResponse as CoreErrorResponse,
  type ErrorBody,
  errorResponse,
  HttpError,
  type HttpErrorCode,
  type HttpErrorOptions,
  type TransportErrorCode,
} from '@mlops/core/http';

/** Codes the server adds to core's `MlopsErrorCode`s: transport-level refusals (core's `TransportErrorCode`). */
export type ServeOnlyErrorCode = TransportErrorCode;

/** Every code an error response of the server may carry (core's `HttpErrorCode`). */
export type ServeErrorCode = HttpErrorCode;

/** Options of {@link ServeError}. */
export type ServeErrorOptions = HttpErrorOptions;

/**
 * An error with a {@link ServeErrorCode}, thrown by the server's own middleware (overload, timeouts, media type):
 * core's `HttpError` under the server's name.
 */
export class ServeError extends HttpError {
  constructor(code: ServeErrorCode, opts: ServeErrorOptions | string = {}) {
    super(code, opts);
    this.name = 'ServeError';
  }
}

/**
 * The one table from error codes to HTTP statuses: core's (`httpStatusOf` from `@mlops/core`), re-exported.
 * @deprecated import `HTTP_STATUS_BY_CODE` or `httpStatusOf` from `@mlops/core`.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ServeErrorCode, number>> = CORE_HTTP_STATUS_BY_CODE;

/**
 * The body of every error response of the `/v1` routes and of extension routes: core's one contract,
 * `{ error: { code, message, details: [{ path, message }], requestId } }`.
 */
export type ErrorResponseBody = ErrorBody;

/**
 * The body of an error of the Open Inference Protocol v2 routes (`/v2/…`): the protocol fixes `error` as a string
 * (the message); the code, field details and request id sit beside it.
 */
export interface OipErrorBody {
  /** Human-readable message (never a stack trace). */
  error: string;
  /** Machine-readable code; its status is core's `httpStatusOf(code)`. */
  code: ServeErrorCode;
  /** Field-level problems: `[{ path: 'inputs[0].data', message: 'Expected number' }]` (client errors only). */
  details: FieldIssue[];
  /** The request id, also sent as the `x-request-id` header. */
  requestId: string;
}

/** An error converted for the wire: status, body, and optional `Retry-After` seconds (core's `ErrorResponse`). */
export type ErrorResponse = CoreErrorResponse;

/**
 * Converts anything thrown into a status and the one error body (core's `errorResponse`): `MlopsError`/`ServeError`
 * through core's table, body-parser failures to 400/413/415, anything else to a 500 `INTERNAL` without internals.
 */
export function toErrorResponse(err: unknown, requestId = ''): ErrorResponse {
  return errorResponse(err, requestId);
}

/** True for the paths of the Open Inference Protocol v2 routes, whose errors keep the protocol's string form. */
export function isOipPath(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

/** The Open Inference Protocol form of an error body: `{ error: message, code, details, requestId }`. */
export function toOipErrorBody(body: ErrorBody): OipErrorBody {
  const { code, message, details, requestId } = body.error;
  return { error: message, code, details, requestId };
}

/** What the server's error handler sends: {@link toErrorResponse}, in the protocol's form on `/v2/…` paths. */
export interface ServerErrorResponse extends Omit<ErrorResponse, 'body'> {
  body: ErrorResponseBody | OipErrorBody;
  /** The code, for metrics and logs. */
  code: ServeErrorCode;
}

/** The error response of a request to `path`: core's body on every route, the OIP form on `/v2/…`. */
export function serverErrorResponse(err: unknown, requestId: string, path: string): ServerErrorResponse {
  const e = toErrorResponse(err, requestId);
  return { ...e, code: e.body.error.code, body: isOipPath(path) ? toOipErrorBody(e.body) : e.body };
}
