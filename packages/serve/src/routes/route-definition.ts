import type { ApiKeyPrincipal, ApiKeyScope, Columns } from '@mlops/core';
import type { Request, Response } from 'express';
import type { z } from 'zod';

/** HTTP methods an extension route may use. */
export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Options of {@link RouteContext.predict}. */
export interface RoutePredictOptions {
  /**
   * Run a specific served version (primary or canary) instead of the one the canary split picks.
   * @default the version the canary split picks
   */
  version?: string;
}

/** What {@link RouteContext.predict} resolves to. */
export interface RoutePrediction {
  /** The served model name. */
  model: string;
  /** The version that made the predictions. */
  version: string;
  /** The model's output columns, one row per input row. */
  outputs: Columns;
  /** The prediction log id of each row (use them for feedback). */
  predictionIds: string[];
}

/** What a route handler receives: validated params, query and body, plus the raw request and response. */
export interface RouteContext<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** The request id (also the `x-request-id` response header). */
  requestId: string;
  /** The API key's principal when auth is on and the route has a scope. */
  principal: ApiKeyPrincipal | undefined;
  req: Request;
  res: Response;
  /**
   * Predicts with a served model exactly as `POST /v1/models/{model}/predict` would: signature validation (400 with
   * field paths under `inputs`), canary split, shadow mirror, micro-batching, the concurrency limit and timeout,
   * metrics, and the prediction log under this request's `requestId` (several calls log several predictions with
   * the same request id). Errors are the predict routes' typed errors (404 unknown model, 503 overloaded, ...).
   */
  predict(model: string, inputs: Columns, options?: RoutePredictOptions): Promise<RoutePrediction>;
}

/**
 * A route another package or app adds with `server.route(def)`: zod schemas describe it, the server validates
 * params, query and body (400 with field paths), checks the API key scope, validates the response, and lists the
 * route in `/openapi.json`. The handler returns the response body, or sends the response itself through `res`
 * (server-sent events, HTML) and returns `undefined`.
 */
export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: RouteMethod;
  /** Express path with `:param` segments, e.g. `/v1/tickets/:id/triage`. */
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
    ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>,
  ) => Promise<z.input<R> | undefined> | z.input<R> | undefined;
}
