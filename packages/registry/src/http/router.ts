import type { IncomingHttpHeaders } from 'node:http';
import {
  type FieldIssue,
  formatIssuePath,
  invalidInput,
  isMlopsError,
  MlopsError,
  parseInput,
  pgJsonIssues,
} from '@mlops/core';
import { apiKeyFromHeaders } from '@mlops/core/http';
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

/** The scopes the router asks for: reads need `registry:read`, writes `registry:write`. */
export type RegistryScope = 'registry:read' | 'registry:write';

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
 * queries are validated with the registry's zod schemas; errors are `{ error: { code, message, details } }` with
 * a status from one table (400/401/403/404/409/413/422; 500 only for faults). Writes need `registry:write` when
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

  const read =
    (fn: (req: Request) => Promise<unknown>): Handler =>
    async (req, res) => {
      await principalFor(req, 'registry:read');
      assertStorable({ params: req.params, query: queryOf(req) });
      res.json(await fn(req));
    };

  /**
   * A write: authenticated first, then its JSON body is read; the authenticated principal (when auth is on)
   * replaces whatever the body says.
   */
  const write =
    (fn: (req: Request, body: Record<string, unknown>) => Promise<unknown>, status = 200): Handler =>
    async (req, res) => {
      const principal = await principalFor(req, 'registry:write');
      await readBody(req, res);
      const body = bodyOf(req);
      assertStorable({ params: req.params, query: queryOf(req), body });
      const result = await fn(req, principal === undefined ? body : { ...body, principal });
      if (result === undefined) res.status(204).end();
      else res.status(status).json(result);
    };

  const modelParam = (req: Request) => parseInput(modelNameSchema, req.params.model, 'model');

  // Models
  router.post(
    '/models',
    write((_req, body) => registry.createModel(body as never), 201),
  );
  router.get(
    '/models',
    read((req) => registry.listModels(parseInput(listModelsInputSchema, queryOf(req)))),
  );
  router.get(
    '/models/:model',
    read((req) => registry.getModel(parseInput(modelNameSchema, req.params.model, 'name'))),
  );
  router.patch(
    '/models/:model',
    write((req, body) => registry.updateModel(withParams(body, { name: req.params.model }) as never)),
  );
  router.delete(
    '/models/:model',
    write(async (req, body) => {
      await registry.deleteModel(withParams(body, { name: req.params.model }) as never);
      return undefined;
    }),
  );

  // Versions
  router.post(
    '/models/:model/versions',
    write((req, body) => registry.createVersion(withParams(body, { model: req.params.model }) as never), 201),
  );
  router.get(
    '/models/:model/versions',
    read((req) =>
      registry.listVersions(parseInput(listVersionsInputSchema, { ...queryOf(req), model: modelParam(req) })),
    ),
  );
  router.get(
    '/versions',
    read((req) => registry.listVersions(parseInput(listVersionsInputSchema, queryOf(req)))),
  );
  router.get(
    '/models/:model/versions/:version',
    read((req) => registry.getVersion(parseInput(versionRefSchema, { ...req.params }))),
  );
  router.get(
    '/models/:model/versions/:version/profile',
    read(async (req) => ({ profile: await registry.getProfile(parseInput(versionRefSchema, { ...req.params })) })),
  );
  router.patch(
    '/models/:model/versions/:version',
    write((req, body) => registry.updateVersion(withParams(body, { ...req.params }) as never)),
  );
  router.delete(
    '/models/:model/versions/:version',
    write(async (req, body) => {
      await registry.deleteVersion(withParams(body, { ...req.params }) as never);
      return undefined;
    }),
  );

  // Aliases
  router.get(
    '/models/:model/aliases',
    read(async (req) => ({ items: await registry.listAliases(modelParam(req)) })),
  );
  router.get(
    '/models/:model/aliases/:alias',
    read((req) => registry.resolve(parseInput(aliasRefSchema, { ...req.params }))),
  );
  router.put(
    '/models/:model/aliases/:alias',
    write((req, body) => registry.setAlias(withParams(body, { ...req.params }) as never)),
  );
  router.delete(
    '/models/:model/aliases/:alias',
    write(async (req, body) => {
      await registry.deleteAlias(withParams(body, { ...req.params }) as never);
      return undefined;
    }),
  );
  router.get(
    '/models/:model/aliases/:alias/history',
    read((req) => registry.aliasHistory({ ...queryOf(req), ...req.params } as never)),
  );
  router.get(
    '/models/:model/history',
    read((req) => registry.aliasHistory({ ...queryOf(req), model: req.params.model } as never)),
  );
  router.post(
    '/models/:model/aliases/:alias/promote',
    write((req, body) =>
      // Parsed here (not only in the registry) so that only declarative JSON gates are ever accepted over HTTP.
      registry.promote(parseInput(promoteInputSchema, withParams(body, { ...req.params }))),
    ),
  );
  router.post(
    '/models/:model/aliases/:alias/rollback',
    write((req, body) => registry.rollback(withParams(body, { ...req.params }) as never)),
  );
  router.get(
    '/models/:model/decisions',
    read((req) =>
      registry.listDecisions(parseInput(listDecisionsInputSchema, { ...queryOf(req), model: req.params.model })),
    ),
  );

  // Audit and events
  router.get(
    '/audit',
    read((req) => registry.listAudit(parseInput(listAuditInputSchema, queryOf(req)))),
  );
  router.get('/events', async (req, res) => {
    await principalFor(req, 'registry:read');
    assertStorable({ query: queryOf(req) });
    const filter = parseInput(subscribeFilterSchema, queryOf(req));
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
  });

  // Anything else under the registry's paths is a typed 404, not express's HTML page.
  router.use(['/models', '/versions', '/audit', '/events'], (req: Request) => {
    throw new MlopsError('NOT_FOUND', {
      message: `No registry endpoint ${req.method} ${req.originalUrl.split('?')[0]}`,
    });
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdOf(req, res);
    const { status, body } = toErrorResponse(err);
    if (status >= 500 && !isMlopsError(err, 'STORE_LOCKED') && !isMlopsError(err, 'STORE_CLOSED')) {
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
    res.status(status).json({ error: { ...body.error, requestId } });
  });
  return router;
}
