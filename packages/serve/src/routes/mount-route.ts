import { type Columns, type FieldIssue, invalidInput, MlopsError, summarizeIssues, zodIssues } from '@mlops/core';
import type { ApiKeyPrincipal, ApiKeyScope } from '@mlops/core/auth';
import type { IRouter, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { JsonBody } from '../middleware/body-limits.js';
import { type RequestState, requestState } from '../middleware/request-context.js';
import type { PredictionRunner } from '../predict/run-prediction.js';
import type { RouteContext, RoutePrediction, RoutePredictOptions } from './route-definition.js';
import type { ServerRoute } from './server-route.js';

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** What {@link createRouteMounter} needs (internal). */
export interface RouteMounterOptions {
  requireScope: (scope: ApiKeyScope | null) => RequestHandler;
  json: JsonBody;
  runner: PredictionRunner;
}

/** A handler's context; `predict` lives on the prototype, so a request allocates one object (internal). */
/** Marks a query not read yet: express parses `req.query` on each access, which most routes never need. */
const UNREAD: unique symbol = Symbol('unread');

class RouteCall implements RouteContext {
  constructor(
    readonly params: unknown,
    private parsedQuery: unknown,
    readonly body: unknown,
    readonly req: Request,
    readonly res: Response,
    private readonly state: RequestState,
    private readonly runner: PredictionRunner,
  ) {}
  get query(): unknown {
    if (this.parsedQuery === UNREAD) this.parsedQuery = this.req.query;
    return this.parsedQuery;
  }
  get requestId(): string {
    return this.state.requestId;
  }
  get principal(): ApiKeyPrincipal | undefined {
    return this.state.principal;
  }
  predict(model: string, inputs: Columns, options?: RoutePredictOptions): Promise<RoutePrediction> {
    return this.runner.columns(model, inputs, options?.version, this.state);
  }
}

/**
 * Answers with JSON as express's `res.json` does (same status, body and `Content-Type`; Node sets `Content-Length`
 * for a body written at once), without its per-call settings lookups and header bookkeeping.
 */
function sendJson(res: Response, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(body);
}

/**
 * Runs a route's handlers in order as one handler, as express runs a route's handler list (an error or a rejected
 * promise goes to the error handler), without a router dispatch between each: on the request path that dispatch
 * cost more than most of the handlers themselves.
 */
function chain(handlers: RequestHandler[]): RequestHandler {
  if (handlers.length === 1) return handlers[0]!;
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        next(err);
        return;
      }
      const handler = handlers[i++];
      if (!handler) {
        next();
        return;
      }
      try {
        const ret = handler(req, res, step) as unknown;
        if (ret instanceof Promise) ret.then(undefined, (e: unknown) => next(e ?? new Error('Rejected promise')));
      } catch (e) {
        next(e);
      }
    };
    step();
  };
}

/**
 * True for a params schema that is an object of plain strings (no checks, nothing optional): express hands every
 * named path parameter of a matched route as a string, so such a schema can only pass, and its parse is skipped on
 * the request path (the route's documentation still comes from it).
 */
function isPlainStringParams(schema: z.ZodType | undefined): boolean {
  const def = (
    schema as
      | { def?: { type?: string; shape?: Record<string, { def?: { type?: string; checks?: unknown[] } }> } }
      | undefined
  )?.def;
  if (def?.type !== 'object' || !def.shape) return false;
  return Object.values(def.shape).every((f) => f.def?.type === 'string' && (f.def.checks?.length ?? 0) === 0);
}

function parsePart(schema: z.ZodType | undefined, value: unknown, where: string, details: FieldIssue[]): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  details.push(...zodIssues(r.error, where === '' ? [] : [where]));
  return undefined;
}

/** Checks a route definition's method and path (`INVALID_INPUT`) (internal). */
export function checkRouteDefinition(d: ServerRoute): void {
  if (!METHODS.has(d.method)) throw new MlopsError('INVALID_INPUT', `unsupported method "${d.method}"`);
  if (!d.path.startsWith('/') || /[{}()?]/.test(d.path)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid route path "${d.path}"`,
      details: [{ path: 'path', message: 'Use an absolute express path with :params, e.g. /v1/things/:id' }],
    });
  }
}

/**
 * Mounts route definitions (built-in and extension routes alike): scope check, JSON body checks, validation of
 * params, query and body (400 with field paths), the handler, and the response (validated when the route has a
 * `response` schema: a mismatch is a 500, a server bug) (internal).
 */
export function createRouteMounter(options: RouteMounterOptions): (target: IRouter, def: ServerRoute) => void {
  const { requireScope, json, runner } = options;
  return (target, d) => {
    checkRouteDefinition(d);
    const handlers: RequestHandler[] = [requireScope(d.scope === undefined ? 'admin' : d.scope)];
    const readsBody = d.body !== undefined || d.compiledBody === true;
    if (readsBody) handlers.push(json.requireJsonType);
    if (d.beforeBody) handlers.push(...d.beforeBody);
    if (readsBody) handlers.push(json.parseJson);
    const bodyPath = d.bodyIssuePath ?? 'body';
    const status = d.status;
    const paramsSchema = isPlainStringParams(d.params) ? undefined : d.params;
    handlers.push(async (req, res) => {
      let params: unknown = req.params;
      let query: unknown = UNREAD;
      let body: unknown = req.body;
      if (d.params) params = { ...req.params };
      if (paramsSchema || d.query || d.body) {
        const details: FieldIssue[] = [];
        params = parsePart(paramsSchema, params, 'params', details);
        if (d.query) query = parsePart(d.query, { ...(req.query as object) }, 'query', details);
        body = parsePart(d.body, req.body, bodyPath, details);
        if (details.length > 0) throw invalidInput('invalid request', details);
      }
      const out = await d.handler(new RouteCall(params, query, body, req, res, requestState(res), runner));
      if (res.headersSent) return;
      if (d.response) {
        const r = d.response.safeParse(out);
        if (!r.success) {
          throw new MlopsError('INTERNAL', {
            message: summarizeIssues(
              `route ${d.method.toUpperCase()} ${d.path} returned an invalid response`,
              zodIssues(r.error),
            ),
          });
        }
        sendJson(res, status ?? 200, r.data);
      } else if (out === undefined) res.status(status ?? 204).end();
      else sendJson(res, status ?? 200, out);
    });
    target[d.method](d.path, chain(handlers));
  };
}
