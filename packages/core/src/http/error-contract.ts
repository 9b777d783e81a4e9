/**
 * The one error contract of every HTTP server of mlops-ts (`@mlops/serve`, the registry's router, the dashboard API,
 * the retrain and triage routes): one table from error code to HTTP status ({@link httpStatusOf}) and one body,
 * `{ "error": { "code", "message", "details": [{ "path", "message" }], "requestId" } }` ({@link errorBodySchema}).
 * The Open Inference Protocol v2 routes of `@mlops/serve` are the only exception: that protocol fixes
 * `{ "error": "…" }`.
 */
import { z } from 'zod';
import { type FieldIssue, isMlopsError, type MlopsErrorCode } from '../errors.js';

/**
 * Codes only an HTTP server answers: refusals of the transport that no library function throws, so they are not
 * {@link MlopsErrorCode}s.
 */
export const TRANSPORT_ERROR_CODES = [
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'METHOD_NOT_ALLOWED',
  'OVERLOADED',
  'SHUTTING_DOWN',
  'NOT_READY',
] as const;

/** A code of {@link TRANSPORT_ERROR_CODES}. */
export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];

/** Every code an HTTP error body may carry: core's {@link MlopsErrorCode}s and the transport's. */
export type HttpErrorCode = MlopsErrorCode | TransportErrorCode;

/**
 * The one table from error code to HTTP status. Every code is listed; a 500 is a server fault, answered with a
 * generic message and no internals (no stack, no SQL, no file paths).
 *
 * - `UNSUPPORTED` is **501**: the request is well-formed, but this server (or its configuration: a tracker without
 *   an object store, a feature the deployment lacks) cannot do it. Changing the request would not help, so it is not
 *   a 4xx; it is no fault either, so its message is shown. (The registry answered 400 before; serve 501.)
 * - `GATE_FAILED` and `VALIDATION_FAILED` are 422: the request was understood, but the candidate or the data did
 *   not pass.
 * - `TIMEOUT` is 504 and `UPSTREAM_ERROR` 502: a model or a service behind the server did not answer in time or
 *   answered badly. `RATE_LIMITED` is 429.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<HttpErrorCode, number>> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  VALIDATION_FAILED: 422,
  INVALID_URL: 400,
  CONFLICT: 409,
  CHECKSUM_MISMATCH: 500,
  STORE_LOCKED: 503,
  STORE_CLOSED: 503,
  MIGRATION_FAILED: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  GATE_FAILED: 422,
  ABORTED: 500,
  UNSUPPORTED: 501,
  NOT_CONFIGURED: 500,
  TIMEOUT: 504,
  RATE_LIMITED: 429,
  UPSTREAM_ERROR: 502,
  INTERNAL: 500,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  METHOD_NOT_ALLOWED: 405,
  OVERLOADED: 503,
  SHUTTING_DOWN: 503,
  NOT_READY: 503,
};

/** Every {@link HttpErrorCode}, in the order of {@link HTTP_STATUS_BY_CODE} (the `Record` type keeps it complete). */
export const HTTP_ERROR_CODES = Object.freeze(Object.keys(HTTP_STATUS_BY_CODE) as HttpErrorCode[]);

/** True when `code` is an {@link HttpErrorCode}. */
export function isHttpErrorCode(code: unknown): code is HttpErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS_BY_CODE, code);
}

/** The HTTP status of an error code, from {@link HTTP_STATUS_BY_CODE}; an unknown code is a 500. */
export function httpStatusOf(code: HttpErrorCode): number {
  return isHttpErrorCode(code) ? HTTP_STATUS_BY_CODE[code] : 500;
}

/** Options of {@link HttpError}. */
export interface HttpErrorOptions {
  /** Human-readable message; defaults to the code. */
  message?: string;
  /** Field-level problems, returned to the client as `details` (client errors only). */
  details?: FieldIssue[] | Record<string, unknown>;
  /** Seconds sent as `Retry-After` (503 responses). */
  retryAfter?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error a server throws with any {@link HttpErrorCode}, including the transport's (a body too large, a wrong
 * media type, overload). Library code throws `MlopsError`; both are answered the same way.
 */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly details: FieldIssue[] | Record<string, unknown> | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: HttpErrorCode, opts: HttpErrorOptions | string = {}) {
    const o = typeof opts === 'string' ? { message: opts } : opts;
    super(o.message ?? code, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'HttpError';
    this.code = code;
    this.details = o.details;
    this.retryAfter = o.retryAfter;
  }
}

const fieldIssueSchema = z.strictObject({ path: z.string(), message: z.string() });

/**
 * The zod schema of every error body (except the Open Inference Protocol v2 routes):
 * `{ error: { code, message, details: [{ path, message }], requestId } }`. For tests and clients.
 */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    /** Machine-readable code; its status is {@link httpStatusOf}(code). */
    code: z.enum(HTTP_ERROR_CODES as [HttpErrorCode, ...HttpErrorCode[]]),
    /** Human-readable message; generic for server faults (500). */
    message: z.string(),
    /**
     * Field-level problems of a client error (4xx), e.g. `{ path: 'inputs.age', message: 'Expected number' }`; at most
     * {@link MAX_ERROR_DETAILS} (the message counts the rest).
     */
    details: z.array(fieldIssueSchema),
    /** The request id, also the `x-request-id` response header. */
    requestId: z.string(),
    /**
     * Structured context of a client error (4xx) that a client acts on, when the error carries it instead of field
     * issues: e.g. the registry's `GATE_FAILED` and promotion `CONFLICT` send `{ decision }` (the recorded decision
     * with its evidence), which `registryClient` hands back as the `MlopsError`'s `details`, as in-process.
     */
    context: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The body of every error response: see {@link errorBodySchema}. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An error converted for the wire by {@link errorResponse}. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Seconds to send as `Retry-After`, when the error carries them. */
  retryAfter?: number;
  /** True for server faults (500): worth logging with the original error; the body says nothing of it. */
  unexpected: boolean;
}

/** The message of every server fault: the body never says more. */
export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

interface FrameworkError {
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * Most field issues an error body lists: an answer stays smaller than the request that caused it (60,000 unknown
 * fields in one record must not come back as 60,000 details). The message counts the rest (`summarizeIssues`).
 */
export const MAX_ERROR_DETAILS = 100;

function issuesOf(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  const out: FieldIssue[] = [];
  for (const d of details) {
    if (out.length >= MAX_ERROR_DETAILS) break;
    if (d && typeof d === 'object' && typeof d.path === 'string' && typeof d.message === 'string') {
      out.push({ path: d.path, message: d.message });
    }
  }
  return out;
}

/** Status, code, message and details of a body-parser / http-errors error (express's JSON parser), if it is one. */
function frameworkError(err: unknown): { code: HttpErrorCode; message: string; details: FieldIssue[] } | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as FrameworkError;
  switch (e.type) {
    case 'entity.parse.failed':
      return {
        code: 'INVALID_INPUT',
        message: 'The request body is not valid JSON',
        details: [{ path: '(body)', message: 'Not valid JSON (a JSON object is expected)' }],
      };
    case 'entity.too.large':
      return {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The request body is too large',
        details: [{ path: '(body)', message: 'Too large' }],
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Unsupported content encoding or charset',
        details: [{ path: '(headers).content-type', message: 'Expected UTF-8 JSON' }],
      };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'entity.verify.failed':
      return { code: 'INVALID_INPUT', message: 'The request body could not be read', details: [] };
  }
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (status < 400 || status >= 500) return undefined;
  // express's router could not percent-decode a path parameter (`%zz`, `%E0%A4%A`, an encoded lone surrogate).
  if (err instanceof URIError && status === 400) {
    return {
      code: 'INVALID_INPUT',
      message: 'The URL path is not valid percent-encoded UTF-8',
      details: [{ path: '(path)', message: 'Not valid percent-encoding' }],
    };
  }
  const code: HttpErrorCode =
    status === 413
      ? 'PAYLOAD_TOO_LARGE'
      : status === 415
        ? 'UNSUPPORTED_MEDIA_TYPE'
        : status === 404
          ? 'NOT_FOUND'
          : status === 405
            ? 'METHOD_NOT_ALLOWED'
            : 'INVALID_INPUT';
  return { code, message: e.expose === true ? String(e.message ?? 'Bad request') : 'Bad request', details: [] };
}

/**
 * Converts anything thrown into a status and the one {@link ErrorBody}: `MlopsError` and {@link HttpError} through
 * {@link httpStatusOf}, express's body-parser failures to 400/413/415, anything else to a 500 `INTERNAL`. Field-level
 * `details` (and structured `details` of an error, as `context`) are sent for client errors (4xx) only; a server fault (500) is answered `INTERNAL` with a generic message
 * whatever it was, so no message, stack trace, SQL or path leaks.
 */
export function errorResponse(err: unknown, requestId: string): ErrorResponse {
  let code: HttpErrorCode;
  let message: string;
  let details: FieldIssue[] = [];
  let context: Record<string, unknown> | undefined;
  let retryAfter: number | undefined;
  if (err instanceof HttpError || isMlopsError(err)) {
    code = err.code;
    message = err.message;
    details = issuesOf(err.details);
    if (err.details !== undefined && !Array.isArray(err.details)) context = err.details;
    if (err instanceof HttpError) retryAfter = err.retryAfter;
  } else {
    const f = frameworkError(err);
    if (!f) return internal(requestId);
    ({ code, message, details } = f);
  }
  const status = httpStatusOf(code);
  if (status === 500) return internal(requestId);
  return {
    status,
    body: {
      error: {
        code,
        message,
        details: status < 500 ? details : [],
        requestId,
        ...(status < 500 && context !== undefined ? { context } : {}),
      },
    },
    ...(retryAfter === undefined ? {} : { retryAfter }),
    unexpected: false,
  };
}

function internal(requestId: string): ErrorResponse {
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: INTERNAL_ERROR_MESSAGE, details: [], requestId } },
    unexpected: true,
  };
}

/** The {@link ErrorBody} of anything thrown: `errorResponse(err, requestId).body`. */
export function errorBody(err: unknown, requestId: string): ErrorBody {
  return errorResponse(err, requestId).body;
}
