import type { IncomingHttpHeaders } from 'node:http';
import { MlopsError } from '@mlops/core';
import { type AnyRouteDefinition, apiKeyFromHeaders } from '@mlops/core/http';
import { z } from 'zod';
import type { RetrainEvaluation } from './policy.js';
import type { RetrainRunner, RetrainStatus } from './retrain-runner.js';

/** Checks a retrain request's credentials; returns the principal recorded with the decision, or throws `UNAUTHORIZED` / `FORBIDDEN`. */
export type RetrainAuthenticate = (request: {
  /** From `Authorization: Bearer <key>`, else `X-API-Key` (core's `apiKeyFromHeaders`). */
  apiKey: string | undefined;
  headers: IncomingHttpHeaders;
  model: string;
}) => Promise<string>;

/** Options of {@link createRetrainRoute} and {@link createRetrainStatusRoute}. */
export interface RetrainRouteOptions {
  /** Starts and reports retrainings (`createRetrainRunner`: a config module in a worker thread, or a policy). */
  runner: RetrainRunner;
  /**
   * Checks credentials inside the handler (besides the server's own scope check), e.g. with core's API keys.
   * @default undefined (the server's scope check only)
   */
  authenticate?: RetrainAuthenticate;
  /**
   * The API key scope the server requires when its auth is on (`admin` keys have every scope).
   * @default 'pipelines:retrain'
   */
  scope?: string;
}

/** Body of `POST /v1/models/:name/retrain`. */
export const retrainRequestSchema = z
  .strictObject({
    /** Retrain even if no trigger fires. */
    force: z.boolean().optional(),
    /** Only evaluate: answer the evaluation (200) without retraining or recording anything. */
    dryRun: z.boolean().optional(),
    reason: z.string().max(2000).optional(),
  })
  .optional();

/**
 * A retraining as the routes answer it: the decision id, where it stands (`pending` while the thread loads,
 * `running`, `done` for any recorded outcome but a failure, `failed`) and the recorded decision (`runId` links the
 * tracked run).
 */
export type RetrainStatusResponse = RetrainStatus;

/** Body of the POST answer: 202 with the started retraining, or 200 with the evaluation of a dry run. */
export type RetrainResponse = RetrainStatusResponse | { evaluation: RetrainEvaluation };

const paramsSchema = z.object({ name: z.string().min(1).max(128) });

/** The POST route, shaped as `@mlops/serve`'s `RouteDefinition` (structurally; pipelines does not depend on serve). */
export interface RetrainRoute {
  method: 'post';
  path: '/v1/models/:name/retrain';
  summary: string;
  description: string;
  tags: string[];
  scope: string;
  status: number;
  params: z.ZodType<{ name: string }>;
  body: typeof retrainRequestSchema;
  handler(ctx: {
    params: { name: string };
    body: z.output<typeof retrainRequestSchema>;
    principal?: { name: string } | undefined;
    req: { headers: IncomingHttpHeaders };
    /** Node's response: a dry run answers 200 through it (the route's status is 202). */
    res?: { statusCode: number; setHeader(name: string, value: string): unknown; end(body: string): unknown };
  }): Promise<RetrainResponse | undefined>;
}

/** The GET route of one decision. */
export interface RetrainStatusRoute {
  method: 'get';
  path: '/v1/models/:name/retrain/:decisionId';
  summary: string;
  description: string;
  tags: string[];
  scope: string;
  params: z.ZodType<{ name: string; decisionId: string }>;
  handler(ctx: {
    params: { name: string; decisionId: string };
    principal?: { name: string } | undefined;
    req: { headers: IncomingHttpHeaders };
  }): Promise<RetrainStatusResponse>;
}

const principalOf = async (
  options: RetrainRouteOptions,
  ctx: { principal?: { name: string } | undefined; req: { headers: IncomingHttpHeaders } },
  model: string,
) =>
  options.authenticate
    ? await options.authenticate({ apiKey: apiKeyFromHeaders(ctx.req.headers), headers: ctx.req.headers, model })
    : ctx.principal?.name;

/**
 * `POST /v1/models/:name/retrain` for `server.route(…)` in `@mlops/serve`: starts one continuous-training step off the
 * serving event loop (the runner's worker thread) and answers **202** with the decision id
 * (`{ decisionId, status: 'pending', decision }`); poll `GET /v1/models/:name/retrain/:decisionId`
 * ({@link createRetrainStatusRoute}). `{ force: true }` retrains whatever the triggers say; `{ dryRun: true }` only
 * evaluates (200 `{ evaluation }`). One retraining per model alias at a time across the fleet: a second request gets
 * 409 `CONFLICT` whose `context.decisionId` names the running one. A model without a retrain target is 404.
 *
 * @example
 * const runner = createRetrainRunner({ store, objects, targets: { churn: { module: './retrain.config.mjs' } } });
 * server.route(createRetrainRoute({ runner }));
 * server.route(createRetrainStatusRoute({ runner }));
 */
export function createRetrainRoute(options: RetrainRouteOptions): RetrainRoute {
  const { runner } = options;
  return {
    method: 'post',
    path: '/v1/models/:name/retrain',
    summary: 'Start a continuous-training step of a model (202 + decision id)',
    description:
      "Takes the model's retrain lock (one retraining per model at a time across the fleet; 409 with `context.decisionId` when one runs), records a `running` decision and answers 202 with its id at once. In a worker thread, the policy reads the prediction log window, checks drift, metrics from feedback, new labels and the schedule; when a trigger fires (or `force`) it retrains (a tracked run, `decision.runId`), promotes through the gate and records the outcome. Poll `GET /v1/models/{name}/retrain/{decisionId}`. `dryRun` only evaluates (200).",
    tags: ['pipelines'],
    scope: options.scope ?? 'pipelines:retrain',
    status: 202,
    params: paramsSchema,
    body: retrainRequestSchema,
    async handler(ctx) {
      const model = ctx.params.name;
      const principal = await principalOf(options, ctx, model);
      if (!runner.has(model)) {
        throw new MlopsError('NOT_FOUND', {
          message: `No retraining is configured for model "${model}"`,
          details: { model },
        });
      }
      const body = ctx.body ?? {};
      if (body.dryRun) {
        const evaluation = await runner.evaluate(model);
        if (!ctx.res) return { evaluation };
        ctx.res.statusCode = 200;
        ctx.res.setHeader('content-type', 'application/json; charset=utf-8');
        ctx.res.end(JSON.stringify({ evaluation }));
        return undefined;
      }
      return runner.start(model, {
        ...(body.force ? { force: true } : {}),
        ...(body.reason ? { reason: body.reason } : {}),
        ...(principal ? { principal } : {}),
      });
    },
  };
}

/**
 * `GET /v1/models/:name/retrain/:decisionId`: the decision and where it stands (`pending`, `running`, `done`,
 * `failed`), from any replica (decisions live in the store). 404 for an unknown id or another model's decision.
 */
export function createRetrainStatusRoute(options: RetrainRouteOptions): RetrainStatusRoute {
  const { runner } = options;
  return {
    method: 'get',
    path: '/v1/models/:name/retrain/:decisionId',
    summary: 'A retraining decision and where it stands',
    description:
      'The recorded decision (`core_retrain_decisions`, with `runId`, the tracked run) and `status`: `pending` (accepted, the worker is loading), `running`, `done` (no-action, blocked, promoted or rejected) or `failed` (failed or abandoned).',
    tags: ['pipelines'],
    scope: options.scope ?? 'pipelines:retrain',
    params: z.object({ name: z.string().min(1).max(128), decisionId: z.string().regex(/^\d{1,18}$/, 'a decision id') }),
    async handler(ctx) {
      const model = ctx.params.name;
      await principalOf(options, ctx, model);
      const found = await runner.get(model, ctx.params.decisionId);
      if (!found) {
        throw new MlopsError('NOT_FOUND', {
          message: `No retrain decision ${ctx.params.decisionId} of model "${model}"`,
          details: { model, decisionId: ctx.params.decisionId },
        });
      }
      return found;
    },
  };
}

/**
 * Both retrain routes, `POST /v1/models/:name/retrain` and `GET /v1/models/:name/retrain/:decisionId`, as route
 * definitions any server mounts: `for (const r of createRetrainRoutes({ runner })) server.route(r)`.
 */
export function createRetrainRoutes(options: RetrainRouteOptions): AnyRouteDefinition[] {
  return [createRetrainRoute(options), createRetrainStatusRoute(options)];
}
