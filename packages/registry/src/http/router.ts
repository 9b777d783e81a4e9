import type { IncomingHttpHeaders } from 'node:http';
import { type FieldIssue, formatIssuePath, invalidInput, MlopsError, parseInput, pgJsonIssues } from '@mlops/core';
import { allowedMethods, apiKeyFromHeaders, methodNotAllowedError, withRouteDefinitions } from '@mlops/core/http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { DEFAULT_MAX_PROFILE_BYTES } from '../profile.js';
import {
  aliasRefSchema,
  listAuditInputSchema,
  listDecisionsInputSchema,
  listModelsInputSchema,
  listVersionsInputSchema,
  modelNameSchema,
  promoteInputSchema,
  subscribeFilterSchema,
  versionRefSchema,
} from '../schemas.js';
import type { Registry, RegistryEvent } from '../types.js';
import { createJsonBodyReader } from './body.js';
import { requestIdOf, toErrorResponse } from './errors.js';
import { type RegistryRouteDefinition, type RegistryScope, registryRouteDefinitions } from './routes.js';

export type { RegistryScope } from './routes.js';

/** What an authenticator sees of a request. */
export interface RegistryAuthRequest {
  /**
   * The API key from `Authorization: Bearer <key>`, else `X-API-Key`, if any (core's `apiKeyFromHeaders`, the reading
   * `@mlops/serve` and `@mlops/dashboard` use too).
   */
  apiKey: string | undefined;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * Checks a request's credentials for a scope and returns the principal recorded in the audit log; throws
 * `MlopsError('UNAUTHORIZED')` (no or unknown key) or `MlopsError('FORBIDDEN')` (key without the scope).
 * With core's API keys: `(req, scope) => verifyApiKey({ store, key: req.apiKey, scope }).then((p) => p.name)`.
 */
export type RegistryAuthenticate = (request: RegistryAuthRequest, scope: RegistryScope) => Promise<string>;

/** Options of {@link createRegistryRouter}. */
export interface RegistryRouterOptions {
  /** The registry to expose (usually from `createRegistry`). */
  registry: Registry;
  /**
   * Authenticates every request; when absent, auth is off and writes record the body's `principal` (or the
   * registry's default principal).
   * @default undefined (auth off)
   */
  authenticate?: RegistryAuthenticate;
  /**
   * Largest JSON body accepted, in bytes (a version's reference profile travels in the body). A write's body is read
   * only after authentication and the content-type check; a `Content-Length` over this limit is a 413 at once,
   * without reading the body.
   * @default 17 MiB (the default profile limit plus 1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Receives server faults (the 500s: never client mistakes, nor the 503s of a locked or closed store) with the
   * request id the client got in `x-request-id` and in the error body.
   * @default a `console.error` line with the request id, method and path
   */
  onError?: (err: unknown, context: RegistryErrorContext) => void;
  /**
   * Interval between SSE keep-alive comments on `/events`, in milliseconds.
   * @default 15000
   */
  heartbeatMs?: number;
}

/** Where a server fault happened (see {@link RegistryRouterOptions.onError}). */
export interface RegistryErrorContext {
  /** The request id: the client's `x-request-id` when valid (or the one a model server gave), else a new UUID. */
  requestId: string;
  method: string;
  /** The path, without the query string. */
  path: string;
}

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * Throws `INVALID_INPUT` with the field paths of strings PostgreSQL text/jsonb cannot hold (U+0000, lone surrogates)
 * and of JSON nested over 64 levels, in the URL parameters, the query and the body.
 */
function assertStorable(parts: { params?: unknown; query?: unknown; body?: unknown }): void {
  const details: FieldIssue[] = [];
  for (const [where, value] of Object.entries(parts)) {
    if (value === undefined) continue;
    for (const i of pgJsonIssues(value)) {
      details.push({ path: formatIssuePath(i.path) || `(${where})`, message: i.message });
    }
  }
  if (details.length > 0) throw invalidInput('invalid input', details);
}

/** The body as an object (`{}` when absent); anything else is a 400. */
function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) {
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'The request body must be a JSON object',
      details: [{ path: '(body)', message: 'expected a JSON object' }],
    });
  }
  return body as Record<string, unknown>;
}

/** Merges URL parameters into the body; a body field that contradicts the URL is a 400. */
function withParams(body: Record<string, unknown>, params: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(params)) {
    if (k in body && String(body[k]) !== String(v)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `The body's "${k}" (${JSON.stringify(body[k])}) differs from the URL's (${JSON.stringify(v)})`,
        details: [{ path: k, message: 'must match the URL' }],
      });
    }
  }
  return { ...body, ...params };
}

/**
 * Reads a query string into an object for a list schema: repeated or nested keys are refused, `tag.<key>=<value>`
 * becomes `tags: { <key>: <value> }`, and `passed=true|false` a boolean. Unknown keys are left for the schema to
 * reject with their path.
 */
function queryOf(req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tags: Record<string, string> = {};
  const url = new URL(req.originalUrl, 'http://localhost');
  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    if (seen.has(key)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `Query parameter "${key}" is repeated`,
        details: [{ path: key, message: 'given more than once' }],
      });
    }
    seen.add(key);
    if (key.startsWith('tag.')) tags[key.slice(4)] = value;
    else if (key === 'passed') out.passed = value === 'true' ? true : value === 'false' ? false : value;
    else out[key] = value;
  }
  if (Object.keys(tags).length > 0) out.tags = tags;
  return out;
}

/**
 * An express 5 router exposing a registry as REST (see the package README for the endpoint table). Bodies and
 * queries are validated with the registry's zod schemas; errors are core's one body,
 * `{ error: { code, message, details, requestId } }`, with the status from core's `httpStatusOf` (500 only for faults). Writes need `registry:write` when
 * `authenticate` is given, and then record its principal. `GET /events` streams change events (server-sent events).
 *
 * @example
 * const app = express();
 * app.use('/registry', createRegistryRouter({ registry }));
 * app.listen(3000, '127.0.0.1');
 */
export function createRegistryRouter(options: RegistryRouterOptions): Router {
  const { registry, authenticate } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_PROFILE_BYTES + 1024 * 1024;
  const onError =
    options.onError ??
    ((err: unknown, context: RegistryErrorContext) => console.error('[mlops] registry error', context, err));
  const router = express.Router();
  // A write's body is read after authentication: JSON only (415 otherwise), a Content-Length over the limit is a 413
  // at once (createJsonBodyReader).
  const readBody = createJsonBodyReader({ maxBodyBytes });

  /** Authenticates for `scope`; returns the principal to record, or undefined when auth is off. */
  async function principalFor(req: Request, scope: RegistryScope): Promise<string | undefined> {
    if (!authenticate) return undefined;
    return authenticate(
      { apiKey: apiKeyFromHeaders(req.headers), method: req.method, path: req.originalUrl, headers: req.headers },
      scope,
    );
  }

  /** A read: authenticated for `registry:read`; the handler's result is the JSON answer. */
  const mountRead =
    (def: RegistryRouteDefinition): Handler =>
    async (req, res) => {
      await principalFor(req, 'registry:read');
      const query = queryOf(req);
      assertStorable({ params: req.params, query });
      const out = await def.handler(contextOf(req, res, query, undefined));
      if (res.headersSent) return;
      if (out === undefined) res.status(204).end();
      else res.status(def.status ?? 200).json(out);
    };

  /**
   * A write: authenticated first, then its JSON body is read; the authenticated principal (when auth is on)
   * replaces whatever the body says.
   */
  const mountWrite =
    (def: RegistryRouteDefinition): Handler =>
    async (req, res) => {
      const principal = await principalFor(req, 'registry:write');
      await readBody(req, res);
      const body = bodyOf(req);
      const query = queryOf(req);
      assertStorable({ params: req.params, query, body });
      const out = await def.handler(
        contextOf(req, res, query, principal === undefined ? body : { ...body, principal }),
      );
      if (res.headersSent) return;
      if (out === undefined) res.status(204).end();
      else res.status(def.status ?? 200).json(out);
    };

  const contextOf = (req: Request, res: Response, query: Record<string, unknown>, body: unknown) => ({
    params: { ...req.params },
    query,
    body,
    requestId: requestIdOf(req, res),
    principal: undefined,
    req,
    res,
  });

  const modelParam = (req: Request) => parseInput(modelNameSchema, req.params.model, 'model');
  const bodyIn = (body: unknown) => body as Record<string, unknown>;

  const routes = registryRouteDefinitions({
    createModel: ({ body }) => registry.createModel(body as never),
    listModels: ({ req }) => registry.listModels(parseInput(listModelsInputSchema, queryOf(req))),
    getModel: ({ req }) => registry.getModel(parseInput(modelNameSchema, req.params.model, 'name')),
    updateModel: ({ req, body }) => registry.updateModel(withParams(bodyIn(body), { name: req.params.model }) as never),
    deleteModel: async ({ req, body }) => {
      await registry.deleteModel(withParams(bodyIn(body), { name: req.params.model }) as never);
      return undefined;
    },
    createVersion: ({ req, body }) =>
      registry.createVersion(withParams(bodyIn(body), { model: req.params.model }) as never),
    listModelVersions: ({ req }) =>
      registry.listVersions(parseInput(listVersionsInputSchema, { ...queryOf(req), model: modelParam(req) })),
    listVersions: ({ req }) => registry.listVersions(parseInput(listVersionsInputSchema, queryOf(req))),
    getVersion: ({ req }) => registry.getVersion(parseInput(versionRefSchema, { ...req.params })),
    getProfile: async ({ req }) => ({
      profile: await registry.getProfile(parseInput(versionRefSchema, { ...req.params })),
    }),
    updateVersion: ({ req, body }) => registry.updateVersion(withParams(bodyIn(body), { ...req.params }) as never),
    deleteVersion: async ({ req, body }) => {
      await registry.deleteVersion(withParams(bodyIn(body), { ...req.params }) as never);
      return undefined;
    },
    listAliases: async ({ req }) => ({ items: await registry.listAliases(modelParam(req)) }),
    resolve: ({ req }) => registry.resolve(parseInput(aliasRefSchema, { ...req.params })),
    setAlias: ({ req, body }) => registry.setAlias(withParams(bodyIn(body), { ...req.params }) as never),
    deleteAlias: async ({ req, body }) => {
      await registry.deleteAlias(withParams(bodyIn(body), { ...req.params }) as never);
      return undefined;
    },
    aliasHistory: ({ req }) => registry.aliasHistory({ ...queryOf(req), ...req.params } as never),
    modelHistory: ({ req }) => registry.aliasHistory({ ...queryOf(req), model: req.params.model } as never),
    // Parsed here (not only in the registry) so that only declarative JSON gates are ever accepted over HTTP.
    promote: ({ req, body }) =>
      registry.promote(parseInput(promoteInputSchema, withParams(bodyIn(body), { ...req.params }))),
    rollback: ({ req, body }) => registry.rollback(withParams(bodyIn(body), { ...req.params }) as never),
    listDecisions: ({ req }) =>
      registry.listDecisions(parseInput(listDecisionsInputSchema, { ...queryOf(req), model: req.params.model })),
    listAudit: ({ req }) => registry.listAudit(parseInput(listAuditInputSchema, queryOf(req))),
    events: async ({ req, res }) => {
      const filter = parseInput(subscribeFilterSchema, queryOf(req));
      if (req.method === 'HEAD') {
        // express answers HEAD with the GET handler: send the stream's headers and end (no body to end it with).
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }).end();
        return undefined;
      }
      const send = (event: RegistryEvent) => {
        res.write(`id: ${event.id}\nevent: change\ndata: ${JSON.stringify(event)}\n\n`);
      };
      // Subscribe before answering, so the client knows the subscription is live when the first bytes arrive;
      // events that come in meanwhile are held back until the headers are out.
      let buffered: RegistryEvent[] | undefined = [];
      const unsubscribe = await registry.subscribe((event) => {
        if (buffered) buffered.push(event);
        else send(event);
      }, filter);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': subscribed\n\n');
      for (const event of buffered) send(event);
      buffered = undefined;
      const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
      heartbeat.unref();
      const stop = () => {
        clearInterval(heartbeat);
        void unsubscribe();
      };
      res.on('close', stop);
      if (req.socket.destroyed) stop();
      return undefined;
    },
  });
  for (const def of routes) {
    router[def.method](def.path, def.scope === 'registry:read' ? mountRead(def) : mountWrite(def));
  }

  // A registry path with a method it does not take: 405 with `Allow` (a 404 would say the path is wrong).
  router.use((req: Request, res: Response, next: NextFunction) => {
    const allowed = allowedMethods(routes, req.path);
    if (allowed.length === 0 || allowed.includes(req.method)) {
      next();
      return;
    }
    res.setHeader('allow', allowed.join(', '));
    throw methodNotAllowedError(req.method, req.originalUrl.split('?')[0]!, allowed);
  });

  // Anything else under the registry's paths is a typed 404, not express's HTML page.
  router.use(['/models', '/versions', '/audit', '/events'], (req: Request) => {
    throw new MlopsError('NOT_FOUND', {
      message: `No registry endpoint ${req.method} ${req.originalUrl.split('?')[0]}`,
    });
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdOf(req, res);
    const { status, body, unexpected } = toErrorResponse(err, requestId);
    if (unexpected) {
      try {
        onError(err, { requestId, method: req.method, path: req.originalUrl.split('?')[0]! });
      } catch {
        // A failing reporter must not turn the answer into something else.
      }
    }
    if (res.headersSent) {
      next(err);
      return;
    }
    // Answered before the body was read (401, 403, 415, 413): close the connection rather than read it.
    if (!req.complete) res.setHeader('connection', 'close');
    if (status === 401) res.setHeader('www-authenticate', 'Bearer');
    res.status(status).json(body);
  });
  // The server that mounts the router lists these routes in its OpenAPI document.
  return withRouteDefinitions(router, routes);
}
