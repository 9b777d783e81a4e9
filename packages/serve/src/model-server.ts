import type { Columns } from '@mlops/core';
import type { ApiKeyScope } from '@mlops/core/auth';
import type { PredictionLogger } from '@mlops/core/predictions';
import type { Express, RequestHandler } from 'express';
import type { Registry as PromRegistry } from 'prom-client';
import type { z } from 'zod';
import type { ListeningServer, ListenOptions } from './lifecycle.js';
import type { RouteDefinition, RoutePrediction } from './routes/route-definition.js';

/** What {@link createModelServer} returns: the express app plus lifecycle and extension methods. */
export interface ModelServer {
  /** The express 5 app; it does not listen (see `listen`, or `app.listen`). */
  readonly app: Express;
  /** The server's own prom-client registry (what `/metrics` serves). */
  readonly metrics: PromRegistry;
  /**
   * True when requests need an API key: with `auth: 'auto'`, as soon as one address in use (`host`, a `listen()`
   * address, the address a request arrived through) is not loopback. It never turns off again.
   */
  readonly authEnabled: boolean;
  /** The prediction logger, when logging is on. */
  readonly logger: PredictionLogger | undefined;
  /** Adds a zod-described route: validated, scope-checked, listed in `/openapi.json`. */
  route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    def: RouteDefinition<P, Q, B, R>,
  ): void;
  /**
   * Mounts an express router or middleware under `path` (e.g. `createRegistryRouter`), before the 404 handler.
   * It does its own validation and auth (see `authenticate`).
   */
  mount(path: string, handler: RequestHandler): void;
  /**
   * Checks an API key for a scope with the server's settings; returns its audit principal `apikey:<name>#<id>`.
   * Fits the registry router's `authenticate` option: pass it whatever `authEnabled` says at mount time, since auth
   * follows the address in use. Resolves `'anonymous'` while auth is off.
   */
  authenticate(request: { apiKey: string | undefined }, scope: ApiKeyScope): Promise<string>;
  /**
   * Predicts in code exactly as `POST /v1/models/{model}/predict` would (validation, canary, shadow, batching, limits,
   * metrics, prediction log under `requestId`), without HTTP. Errors are the predict routes' typed errors.
   */
  predict(model: string, inputs: Columns, options?: ServerPredictOptions): Promise<ServerPrediction>;
  /** Resolves once every model has a loaded version (rejects if a model cannot be loaded). */
  ready(): Promise<void>;
  /** Listens on a port, and drains on SIGTERM/SIGINT. */
  listen(options?: ListenOptions): Promise<ListeningServer>;
  /**
   * Stops taking requests (503 `SHUTTING_DOWN`), waits for in-flight requests, closes models, then flushes and
   * closes the prediction log; also closes every listener opened by `listen()` (and removes its signal handlers).
   * Idempotent.
   */
  close(): Promise<void>;
}

/** Options of {@link ModelServer.predict}. */
export interface ServerPredictOptions {
  /**
   * The request id the predictions are logged under (letters, digits, `.`, `_`, `:`, `-`; at most 128).
   * @default a random UUID
   */
  requestId?: string;
  /**
   * Run a specific served version (primary or canary) instead of the one the canary split picks.
   * @default the version the canary split picks
   */
  version?: string;
}

/** What {@link ModelServer.predict} resolves to: a {@link RoutePrediction} plus the request id it was logged under. */
export interface ServerPrediction extends RoutePrediction {
  requestId: string;
}
