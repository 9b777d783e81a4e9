import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Signature } from '@mlops/core';
import type { RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Lifecycle } from '../lifecycle.js';
import { requestState } from '../middleware/request-context.js';
import type { ModelSlots } from '../model-slots.js';
import type { ModelSlot } from '../model-source.js';
import type { PredictionRunner } from '../predict/run-prediction.js';
import type { RouteDefinition } from './route-definition.js';

/** What a route's OpenAPI entries may depend on (internal). */
export interface OpenApiContext {
  /** Whether requests need an API key (scoped routes then list `bearerAuth`). */
  auth: boolean;
  /** The served models' primary versions. */
  models: readonly { name: string; version: string; signature: Signature }[];
}

/** One OpenAPI operation a route documents itself (security and error responses are added by the builder). */
export type OpenApiOperation = Omit<RouteConfig, 'responses'> & { responses: RouteConfig['responses'] };

/**
 * A built-in route: a {@link RouteDefinition}, mounted by the same `mountRoute` as extension routes, plus what the
 * predict routes need (internal).
 */
export interface ServerRoute extends RouteDefinition {
  /**
   * The JSON body is validated by the handler with a compiled validator instead of a fixed zod `body` schema: predict
   * bodies depend on each model's signature (core's compiled input validator, `ServedModel.validate`), and their JSON
   * Schema comes from the signature in `openapi`.
   */
  compiledBody?: boolean;
  /** Runs after the scope check and before the body is read (the predict routes take their limiter slot here). */
  beforeBody?: RequestHandler[];
  /**
   * Where body issues' paths start.
   * @default 'body'
   */
  bodyIssuePath?: string;
  /** Documents the route itself when its entries depend on the served models (one predict path per model). */
  openapi?: (ctx: OpenApiContext) => OpenApiOperation[];
}

/** Types a built-in route with its zod schemas, then widens it for mounting (internal). */
export function serverRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  def: RouteDefinition<P, Q, B, R> & Omit<ServerRoute, keyof RouteDefinition>,
): ServerRoute {
  return def as unknown as ServerRoute;
}

/** The server parts the built-in routes use (internal). */
export interface BuiltinRouteDeps {
  slots: ModelSlots;
  runner: PredictionRunner;
  lifecycle: Lifecycle;
  maxRows: number;
  /** The predict routes' admission (limiter slot before the body is read). */
  admit: RequestHandler;
}

/** The slot of the request's `:name`, labelling the request's metrics with it; 404 when not served (internal). */
export function slotOfRequest(slots: ModelSlots, name: unknown, res: Response): ModelSlot {
  const slot = slots.find(String(name), 'name');
  requestState(res).model = slot.name;
  return slot;
}
