import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ApiKeyPrincipal, ApiKeyScope } from '../auth/api-keys.js';

/** HTTP methods a route definition may use. */
export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * What every route handler receives, whichever server mounts it: validated params, query and body, the request id,
 * the API key's principal, and the raw Node request and response.
 *
 * `req` and `res` are Node's own `IncomingMessage` and `ServerResponse`, not express's types, so `@mlops/core` stays
 * free of express (neither a dependency nor a type in its published declarations). A server built on express (like
 * `@mlops/serve`) narrows them to express's `Request`/`Response` through the `X` parameter of
 * {@link RouteDefinition}; a route written against this context runs on any of them.
 */
export interface RouteContext<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** The request id (also the `x-request-id` response header). */
  requestId: string;
  /** The API key's principal when auth is on and the route has a scope. */
  principal: ApiKeyPrincipal | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * One HTTP route described once: zod schemas describe it, the server that mounts it validates params, query and body
 * (400 `INVALID_INPUT` with field paths), checks the API key scope, validates the response, and lists the route in
 * its OpenAPI document. The handler returns the response body, or sends the response itself through `res`
 * (server-sent events, downloads, HTML) and returns `undefined`.
 *
 * `X` is what the mounting server adds to the {@link RouteContext} (for `@mlops/serve`: express's request and
 * response and `predict`). A definition written with the default `X` (nothing added) can be mounted by any server;
 * the registry's router is a list of such definitions.
 */
export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  // biome-ignore lint/complexity/noBannedTypes: `{}` is the neutral element of the intersection below
  X extends object = {},
> {
  method: RouteMethod;
  /** Express-style path with `:param` segments, e.g. `/v1/tickets/:id/triage`. */
  path: string;
  /** One line shown in the docs. */
  summary?: string;
  /** Longer description (markdown). */
  description?: string;
  /**
   * Groups in the docs.
   * @default ['extensions']
   */
  tags?: string[];
  /**
   * API key scope required when auth is on; `null` makes the route public.
   * @default 'admin'
   */
  scope?: ApiKeyScope | null;
  /** Path parameters: a `z.object` whose keys are the `:param` names. */
  params?: P;
  /** Query string parameters: a `z.object`. */
  query?: Q;
  /** JSON request body (POST, PUT, PATCH). */
  body?: B;
  /** JSON response body; responses that do not match are a 500 (a server bug), never sent. */
  response?: R;
  /**
   * Status of a successful response.
   * @default 200
   */
  status?: number;
  /** Handles a validated request. */
  handler: (
    ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>> & X,
  ) => Promise<z.input<R> | undefined> | z.input<R> | undefined;
}

const ROUTE_DEFINITIONS = Symbol.for('@mlops/core.routeDefinitions');

/** A route definition whatever its schemas and whatever its server adds to the context (for lists of routes). */
// biome-ignore lint/suspicious/noExplicitAny: the context a handler needs is its mounting server's business
export type AnyRouteDefinition = RouteDefinition<z.ZodType, z.ZodType, z.ZodType, z.ZodType, any>;

/**
 * Attaches the route definitions a handler (an express router, a middleware) serves, so a server that mounts the
 * handler under a path (`server.mount('/registry', router)` in `@mlops/serve`) lists them in its OpenAPI document,
 * prefixed with that path. Returns the handler.
 */
export function withRouteDefinitions<T extends object>(handler: T, routes: readonly AnyRouteDefinition[]): T {
  Object.defineProperty(handler, ROUTE_DEFINITIONS, { value: Object.freeze([...routes]), enumerable: false });
  return handler;
}

/** The route definitions attached to a handler by {@link withRouteDefinitions}, if any. */
export function routeDefinitionsOf(handler: unknown): readonly AnyRouteDefinition[] | undefined {
  if ((typeof handler !== 'object' && typeof handler !== 'function') || handler === null) return undefined;
  return (handler as { [ROUTE_DEFINITIONS]?: readonly AnyRouteDefinition[] })[ROUTE_DEFINITIONS];
}
