import type { IncomingHttpHeaders } from 'node:http';
import { MlopsError } from '@mlops/core';
import { apiKeyFromHeaders } from '@mlops/core/http';
import type { RetrainDecision } from '@mlops/core/retrain-decisions';
import { z } from 'zod';
import type { ContinuousTrainingPolicy, RetrainEvaluation } from './policy.js';

/** Checks a retrain request's credentials; returns the principal recorded with the decision, or throws `UNAUTHORIZED` / `FORBIDDEN`. */
export type RetrainAuthenticate = (request: {
  /** From `Authorization: Bearer <key>`, else `X-API-Key` (core's `apiKeyFromHeaders`). */
  apiKey: string | undefined;
  headers: IncomingHttpHeaders;
  model: string;
}) => Promise<string>;

/** Options of {@link createRetrainRoute}. */
export interface RetrainRouteOptions {
  /** The policies by model name, or a lookup (undefined: 404). */
  policies: Record<string, ContinuousTrainingPolicy> | ((model: string) => ContinuousTrainingPolicy | undefined);
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
    /** Only evaluate: answer the decision without retraining. */
    dryRun: z.boolean().optional(),
    reason: z.string().max(2000).optional(),
  })
  .optional();

/** Body of the answer: the recorded decision, or the evaluation of a dry run. */
export type RetrainResponse = { decision: RetrainDecision<RetrainEvaluation> } | { evaluation: RetrainEvaluation };

/** The route, shaped as `@mlops/serve`'s `RouteDefinition` (structurally; pipelines does not depend on serve). */
export interface RetrainRoute {
  method: 'post';
  path: '/v1/models/:name/retrain';
  summary: string;
  description: string;
  tags: string[];
  scope: string;
  params: z.ZodType<{ name: string }>;
  body: typeof retrainRequestSchema;
  handler(ctx: {
    params: { name: string };
    body: z.output<typeof retrainRequestSchema>;
    principal?: { name: string } | undefined;
    req: { headers: IncomingHttpHeaders };
  }): Promise<RetrainResponse>;
}

/**
 * The authorised `POST /v1/models/:name/retrain` route, for `server.route(createRetrainRoute({ policies }))` in
 * `@mlops/serve`: runs the model's policy once (`{ force: true }` retrains whatever the triggers say, `{ dryRun: true }`
 * only evaluates) and answers the recorded decision. A run already in progress is a 409 `CONFLICT`.
 *
 * @example
 * server.route(createRetrainRoute({ policies: { churn: policy } }));
 */
export function createRetrainRoute(options: RetrainRouteOptions): RetrainRoute {
  const lookup =
    typeof options.policies === 'function'
      ? options.policies
      : (name: string) =>
          Object.hasOwn(options.policies, name)
            ? (options.policies as Record<string, ContinuousTrainingPolicy>)[name]
            : undefined;
  return {
    method: 'post',
    path: '/v1/models/:name/retrain',
    summary: 'Evaluate the continuous-training policy of a model and retrain it if a trigger fires',
    description:
      'Reads the prediction log window, checks drift, accuracy from feedback, new labels and the schedule; when a trigger fires (or `force`), retrains, promotes through the gate, and records the decision.',
    tags: ['pipelines'],
    scope: options.scope ?? 'pipelines:retrain',
    params: z.object({ name: z.string().min(1).max(128) }),
    body: retrainRequestSchema,
    async handler(ctx) {
      const model = ctx.params.name;
      const principal = options.authenticate
        ? await options.authenticate({ apiKey: apiKeyFromHeaders(ctx.req.headers), headers: ctx.req.headers, model })
        : ctx.principal?.name;
      const policy = lookup(model);
      if (!policy) {
        throw new MlopsError('NOT_FOUND', {
          message: `No continuous-training policy for model "${model}"`,
          details: { model },
        });
      }
      const body = ctx.body ?? {};
      if (body.dryRun) return { evaluation: await policy.evaluate() };
      const decision = await policy.runOnce({
        ...(body.force ? { force: true } : {}),
        ...(body.reason ? { reason: body.reason } : {}),
        ...(principal ? { principal } : {}),
      });
      return { decision };
    },
  };
}
