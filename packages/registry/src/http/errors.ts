import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorBody as CoreErrorBody, type ErrorResponse, errorResponse, isRequestId } from '@mlops/core/http';

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
 * The JSON body of every error response: core's one contract, `{ error: { code, message, details, requestId } }`.
 * @deprecated import `ErrorBody` from `@mlops/core`.
 */
export type ErrorBody = CoreErrorBody;

/**
 * Turns anything thrown into a status and the one error body: core's `errorResponse` (statuses from core's
 * `httpStatusOf`). Client mistakes keep their code, message and field paths; anything unexpected becomes a 500
 * `INTERNAL` without internals (no stack, no SQL).
 */
export function toErrorResponse(err: unknown, requestId = ''): ErrorResponse {
  return errorResponse(err, requestId);
}
