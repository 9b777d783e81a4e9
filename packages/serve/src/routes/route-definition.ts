import type { Columns } from '@mlops/core';
import type { RouteContext as CoreRouteContext, RouteDefinition as CoreRouteDefinition } from '@mlops/core/http';
import type { Request, Response } from 'express';
import type { z } from 'zod';

// The route definition lives in `@mlops/core` (so the registry and other packages define routes without depending
// on serve); serve adds express's request and response and `predict` to the context.
export type { RouteMethod } from '@mlops/core/http';

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

/** What the model server adds to core's route context: express's request and response, and `predict`. */
export interface ServeRouteExtras {
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
 * What a route handler mounted on the model server receives: core's {@link CoreRouteContext} (validated params,
 * query and body, request id, principal) with express's request and response and `predict`.
 */
export interface RouteContext<P = unknown, Q = unknown, B = unknown>
  extends CoreRouteContext<P, Q, B>,
    ServeRouteExtras {
  req: Request;
  res: Response;
}

/**
 * A route another package or app adds with `server.route(def)`: core's route definition whose handler may use
 * serve's {@link ServeRouteExtras}. A definition written against core's plain `RouteDefinition` (like the
 * registry's routes) is one too.
 */
export type RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> = CoreRouteDefinition<P, Q, B, R, ServeRouteExtras>;
