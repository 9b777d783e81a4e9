import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isMlopsError, type MlopsErrorCode } from '@mlops/core';
import { isRequestId } from '@mlops/core/http';

/**
 * The request id of a request, for error bodies and fault reports: the `x-request-id` already set on the response
 * (a model server sets one for every request), else the client's when valid (core's `isRequestId`, as
 * `@mlops/serve`), else a new UUID, which is then set on the response.
 */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const set = res.getHeader('x-request-id');
  if (typeof set === 'string' && set !== '') return set;
  const given = req.headers['x-request-id'];
  const id = isRequestId(given) ? given : randomUUID();
  if (!res.headersSent) res.setHeader('x-request-id', id);
  return id;
}

/**
 * The one table from error codes to HTTP statuses used by the registry's router; codes not listed are 500.
 * `GATE_FAILED` is 422: the request was well-formed, but the candidate did not pass the gate.
 */
export const REGISTRY_HTTP_STATUS: Partial<Record<MlopsErrorCode, number>> = {
  INVALID_INPUT: 400,
  INVALID_URL: 400,
  UNSUPPORTED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GATE_FAILED: 422,
  STORE_LOCKED: 503,
  STORE_CLOSED: 503,
};

/** The JSON body of every error response: `{ error: { code, message, details, requestId } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/**
 * An HTTP-level refusal that has no {@link MlopsErrorCode}: 415 `UNSUPPORTED_MEDIA_TYPE` (a write without a JSON
 * body) and 413 (a body over the limit, refused before it is read). Internal to the router and its error table.
 */
export class RegistryHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: { path: string; message: string }[] | undefined;

  constructor(status: number, code: string, opts: { message: string; details?: { path: string; message: string }[] }) {
    super(opts.message);
    this.name = 'RegistryHttpError';
    this.status = status;
    this.code = code;
    this.details = opts.details;
  }
}

/**
 * Turns anything thrown into a status and a typed body. Client mistakes keep their code, message and field paths;
 * anything unexpected becomes a 500 `INTERNAL` without internals (no stack, no SQL).
 */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (isMlopsError(err)) {
    const status = REGISTRY_HTTP_STATUS[err.code] ?? 500;
    if (status >= 500 && err.code !== 'STORE_LOCKED' && err.code !== 'STORE_CLOSED') {
      return { status, body: { error: { code: 'INTERNAL', message: 'Internal error' } } };
    }
    return {
      status,
      body: {
        error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) },
      },
    };
  }
  if (err instanceof RegistryHttpError) {
    return {
      status: err.status,
      body: {
        error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) },
      },
    };
  }
  // body-parser errors carry `type` and `status`.
  const e = err as { type?: unknown; status?: unknown; message?: unknown } | null;
  if (e && (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported')) {
    return {
      status: 415,
      body: {
        error: {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `Unsupported content encoding or charset: ${String(e.message)}`,
          details: [{ path: '(headers).content-type', message: 'expected UTF-8 JSON' }],
        },
      },
    };
  }
  if (e && e.type === 'entity.parse.failed') {
    return {
      status: 400,
      body: {
        error: {
          code: 'INVALID_INPUT',
          message: `The request body is not valid JSON: ${String(e.message)}`,
          details: [{ path: '(body)', message: 'not valid JSON' }],
        },
      },
    };
  }
  if (e && e.type === 'entity.too.large') {
    return {
      status: 413,
      body: {
        error: {
          code: 'INVALID_INPUT',
          message: 'The request body is too large',
          details: [{ path: '(body)', message: 'too large' }],
        },
      },
    };
  }
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return {
      status: e.status,
      body: { error: { code: 'INVALID_INPUT', message: String(e.message ?? 'Bad request') } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error' } } };
}
