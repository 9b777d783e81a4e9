import { type FieldIssue, isMlopsError, type MlopsErrorCode } from '@mlops/core';

/** Codes the server adds to core's: transport-level refusals that have no place in `MlopsError`. */
export type ServeOnlyErrorCode =
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'OVERLOADED'
  | 'TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'NOT_READY';

/** Every code an error response of the server may carry. */
export type ServeErrorCode = MlopsErrorCode | ServeOnlyErrorCode;

/** Options of {@link ServeError}. */
export interface ServeErrorOptions {
  /** Human-readable message; defaults to the code. */
  message?: string;
  /** Field-level problems or structured context, returned to the client as `details`. */
  details?: FieldIssue[] | Record<string, unknown>;
  /** Seconds sent as `Retry-After` (503 responses). */
  retryAfter?: number;
  /** The underlying error. */
  cause?: unknown;
}

/** An error with a {@link ServeErrorCode}, thrown by the server's own middleware (overload, timeouts, media type). */
export class ServeError extends Error {
  readonly code: ServeErrorCode;
  readonly details: FieldIssue[] | Record<string, unknown> | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ServeErrorCode, opts: ServeErrorOptions | string = {}) {
    const o = typeof opts === 'string' ? { message: opts } : opts;
    super(o.message ?? code, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'ServeError';
    this.code = code;
    this.details = o.details;
    this.retryAfter = o.retryAfter;
  }
}

/**
 * The one table from error codes to HTTP statuses. Codes not listed (`INTERNAL`, `MIGRATION_FAILED`,
 * `CHECKSUM_MISMATCH`, …) are server faults: 500 with a generic message and no internals.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Partial<Record<ServeErrorCode, number>>> = {
  INVALID_INPUT: 400,
  INVALID_URL: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  GATE_FAILED: 422,
  UNSUPPORTED: 501,
  OVERLOADED: 503,
  SHUTTING_DOWN: 503,
  NOT_READY: 503,
  STORE_LOCKED: 503,
  STORE_CLOSED: 503,
  TIMEOUT: 504,
};

/** The JSON body of every error response. `error` is a string, as the Open Inference Protocol requires. */
export interface ErrorResponseBody {
  /** Human-readable message (never a stack trace). */
  error: string;
  /** Machine-readable code, a key of {@link HTTP_STATUS_BY_CODE} (or `INTERNAL`). */
  code: ServeErrorCode;
  /** Field-level problems: `[{ path: 'instances[0].age', message: 'Expected number' }]`. */
  details?: FieldIssue[] | Record<string, unknown>;
  /** The request id, also sent as the `x-request-id` header. */
  requestId?: string;
}

/** An error converted for the wire: status, body, and optional `Retry-After` seconds. */
export interface ErrorResponse {
  status: number;
  body: ErrorResponseBody;
  retryAfter?: number;
  /** True for server faults (5xx from an unexpected error): worth logging with the original error. */
  unexpected: boolean;
}

interface BodyParserError {
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

function clientError(code: ServeErrorCode, message: string, details?: FieldIssue[]): ErrorResponse {
  return {
    status: HTTP_STATUS_BY_CODE[code] ?? 400,
    body: { error: message, code, ...(details ? { details } : {}) },
    unexpected: false,
  };
}

/**
 * Converts anything thrown into a status and an {@link ErrorResponseBody}: `MlopsError`/`ServeError` through
 * {@link HTTP_STATUS_BY_CODE}, body-parser failures to 400/413/415, and anything else to a 500 `INTERNAL` without
 * internals (no stack, no SQL).
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof ServeError || isMlopsError(err)) {
    const status = HTTP_STATUS_BY_CODE[err.code] ?? 500;
    if (status === 500) {
      return { status, body: { error: 'Internal server error', code: 'INTERNAL' }, unexpected: true };
    }
    const retryAfter = err instanceof ServeError ? err.retryAfter : undefined;
    return {
      status,
      body: { error: err.message, code: err.code, ...(err.details === undefined ? {} : { details: err.details }) },
      ...(retryAfter === undefined ? {} : { retryAfter }),
      unexpected: false,
    };
  }
  const e = (err ?? {}) as BodyParserError;
  switch (e.type) {
    case 'entity.parse.failed':
      return clientError('INVALID_INPUT', 'The request body is not valid JSON', [
        { path: '(body)', message: 'Not valid JSON (a JSON object is expected)' },
      ]);
    case 'entity.too.large':
      return clientError('PAYLOAD_TOO_LARGE', 'The request body is too large', [
        { path: '(body)', message: 'Too large' },
      ]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return clientError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding or charset');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'entity.verify.failed':
      return clientError('INVALID_INPUT', 'The request body could not be read');
  }
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (status >= 400 && status < 500) {
    const code: ServeErrorCode =
      status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : status === 404
            ? 'NOT_FOUND'
            : 'INVALID_INPUT';
    return {
      status,
      body: { error: e.expose === true ? String(e.message ?? 'Bad request') : 'Bad request', code },
      unexpected: false,
    };
  }
  return { status: 500, body: { error: 'Internal server error', code: 'INTERNAL' }, unexpected: true };
}
