import { pgJson, pgText, type Store } from '@mlops/core';
import { recordFeedback } from '@mlops/core/predictions';
import { z } from 'zod';
import { type ServerRoute, serverRoute } from './server-route.js';

/** The body of `POST /v1/feedback` (internal). Strings PostgreSQL cannot hold and labels over 64 deep are 400s. */
export const feedbackBodySchema = z.strictObject({
  predictionId: pgText().min(1).max(200).optional().describe('A prediction id from a predict response'),
  requestId: pgText()
    .min(1)
    .max(200)
    .optional()
    .describe('Applies to every prediction of the request (or only to `model`, or per model with `labels`)'),
  model: pgText()
    .min(1)
    .max(200)
    .optional()
    .describe("With requestId: apply only to this model's predictions of the request"),
  label: pgJson().optional().describe('Ground truth: a class name, a number, any JSON (at most 64 levels deep)'),
  labels: z
    .record(pgText().min(1).max(200), pgJson())
    .optional()
    .describe('With requestId, instead of label/value/model: one label per model, e.g. { "topic": "vpn" }'),
  value: z.number().optional().describe('A numeric outcome'),
  time: pgText().optional().describe('When the truth was observed (ISO 8601); now when left out'),
});

const feedbackResponseSchema = z.object({
  id: z.string().describe('The first feedback row'),
  ids: z.array(z.string()).describe('Every feedback row written (one per model with `labels`)'),
  requestId: z.string().describe('This HTTP request id'),
});

/**
 * `POST /v1/feedback`: ground truth for a prediction id, a request id, one model of a request, or per model. Only
 * mounted with a store: without one there is nowhere to keep feedback (404, and absent from `/openapi.json`).
 */
export function v1FeedbackRoute(store: Store): ServerRoute {
  return serverRoute({
    method: 'post',
    path: '/v1/feedback',
    tags: ['feedback'],
    summary: 'Record ground truth for a prediction id, a request id, one model of a request, or per model',
    scope: 'feedback',
    body: feedbackBodySchema,
    bodyIssuePath: '',
    response: feedbackResponseSchema,
    status: 201,
    handler: async ({ body, requestId }) => {
      const { id, ids } = await recordFeedback({ store, ...body });
      return { id, ids, requestId };
    },
  });
}
