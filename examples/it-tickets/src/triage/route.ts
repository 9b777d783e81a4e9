// POST /tickets/triage: the topic and urgency of a ticket from the two served models (both predictions logged under
// the request id, which is the triage id), the knowledge-base articles for the predicted topic and the text, and a
// drafted reply (LLM, or the template fallback, saying which).
import { type Columns, MlopsError, pgText } from '@mlops/core';
import type { LlmClient } from '@mlops/plugin-llm';
import type { RouteDefinition } from '@mlops/serve';
import { z } from 'zod';
import type { ClassResolver } from './classes.js';
import type { KnowledgeBase } from './knowledge-base.js';
import { draftReply } from './reply.js';

/** A served classifier the route predicts with. */
export interface TriageModel {
  /** The served model name (`ticket-topic`). */
  name: string;
  /** Class names in the order of the `probabilities` output: a list, or a resolver per served version. */
  classes: readonly string[] | ClassResolver;
}

/** Options of {@link triageRoute}. */
export interface TriageRouteOptions {
  knowledgeBase: KnowledgeBase;
  topicModel: TriageModel;
  urgencyModel: TriageModel;
  /**
   * Drafts replies; not configured or absent: the template reply.
   * @default undefined (template)
   */
  llm?: LlmClient;
  /**
   * Articles returned (and given to the LLM).
   * @default 3
   */
  articles?: number;
  /**
   * Longest wait for the LLM before the template reply.
   * @default 20000
   */
  replyTimeoutMs?: number;
  /**
   * The route's path.
   * @default '/tickets/triage'
   */
  path?: string;
  /**
   * API key scope when auth is on.
   * @default 'predict'
   */
  scope?: 'predict' | 'admin' | null;
}

/** Longest title, in characters. */
export const MAX_TITLE_CHARS = 300;
/** Longest body, in characters. */
export const MAX_BODY_CHARS = 20_000;

/** Request body of `POST /tickets/triage`. */
export const triageBodySchema = z.strictObject({
  // pgText: the text is logged with the predictions; U+0000 or a lone surrogate is a 400 naming the field.
  title: pgText().trim().max(MAX_TITLE_CHARS).default('').describe('Ticket title (may be empty)'),
  body: pgText().trim().min(1, 'Describe the problem').max(MAX_BODY_CHARS).describe('Ticket text as the user wrote it'),
});

/** A triage request. */
export type TriageRequest = z.input<typeof triageBodySchema>;

const predictionSchema = z.object({
  label: z.string().describe('Most probable class'),
  probabilities: z.record(z.string(), z.number()).describe('Probability of each class'),
  model: z.string().describe('Served model name'),
  version: z.string().describe('Model version that predicted'),
  predictionId: z.string().describe('Prediction log id (feedback can also target it alone)'),
});

/** Response body of `POST /tickets/triage`. */
export const triageResponseSchema = z.object({
  triageId: z.string().describe('The request id: both predictions are logged under it; send feedback with it'),
  topic: predictionSchema,
  urgency: predictionSchema,
  articles: z
    .array(
      z.object({
        id: z.string(),
        title: z.string(),
        topic: z.string(),
        score: z.number().describe('BM25+ score with the topic boost (0: added as the topic’s first article)'),
        path: z.string().describe('The article file in the knowledge base'),
      }),
    )
    .describe('Knowledge-base articles for the predicted topic and the text, best first'),
  reply: z.object({
    text: z.string(),
    source: z.enum(['llm', 'template']).describe('`template` when no LLM is configured or the LLM call failed'),
    model: z.string().optional().describe('The LLM model (source `llm`)'),
    reason: z.string().optional().describe('Why the template was used (source `template`)'),
  }),
  latencyMs: z.number().describe('Time spent in the route handler'),
});

/** A triage response. */
export type TriageResponse = z.infer<typeof triageResponseSchema>;

/** The model's text for a ticket: title and body joined by a space, as in the training data. */
export function ticketText(title: string, body: string): string {
  const t = title.trim();
  const b = body.trim();
  return t ? `${t} ${b}` : b;
}

function firstRow(column: unknown): number[] {
  if (column === null || column === undefined) return [];
  const col = column as ArrayLike<unknown>;
  const first = col[0];
  if (first !== null && typeof first === 'object') return Array.from(first as ArrayLike<number>, Number);
  return Array.from(col as ArrayLike<number>, Number);
}

async function classesOf(model: TriageModel, version: string): Promise<readonly string[]> {
  return typeof model.classes === 'function' ? await model.classes(version) : model.classes;
}

async function readPrediction(
  model: TriageModel,
  p: { model: string; version: string; outputs: Columns; predictionIds: string[] },
): Promise<z.infer<typeof predictionSchema>> {
  const labels = p.outputs.label as ArrayLike<unknown> | undefined;
  if (!labels || labels.length === 0) {
    throw new MlopsError('INTERNAL', `model "${p.model}" v${p.version} returned no "label" output`);
  }
  const probs = firstRow(p.outputs.probabilities);
  const probabilities: Record<string, number> = {};
  if (probs.length > 0) {
    const classes = await classesOf(model, p.version);
    if (classes.length !== probs.length) {
      throw new MlopsError('INTERNAL', {
        message: `model "${p.model}" v${p.version} returned ${probs.length} probabilities for ${classes.length} classes`,
      });
    }
    classes.forEach((c, i) => {
      probabilities[c] = probs[i]!;
    });
  }
  return {
    label: String(labels[0]),
    probabilities,
    model: p.model,
    version: p.version,
    predictionId: p.predictionIds[0]!,
  };
}

/**
 * The `POST /tickets/triage` route for `server.route(...)`: validates `{ title, body }` (400 with field paths),
 * predicts topic and urgency with the two served models through `ctx.predict` (logged under the triage id),
 * retrieves articles boosted towards the predicted topic, and drafts a reply (LLM or template).
 */
export function triageRoute(
  options: TriageRouteOptions,
): RouteDefinition<z.ZodType, z.ZodType, typeof triageBodySchema, typeof triageResponseSchema> {
  const { knowledgeBase, topicModel, urgencyModel } = options;
  const limit = options.articles ?? 3;
  return {
    method: 'post',
    path: options.path ?? '/tickets/triage',
    summary: 'Triage a support ticket: topic, urgency, knowledge-base articles and a drafted reply',
    description: [
      `Predicts the topic (\`${topicModel.name}\`) and urgency (\`${urgencyModel.name}\`) of a ticket; both predictions`,
      'are logged under the request id, returned as `triageId`. Send the true labels later with',
      '`POST /v1/feedback` and `{ "requestId": triageId, "labels": { "<model>": "<label>" } }`.',
      'The reply is drafted by an LLM from the retrieved articles when one is configured (`MLOPS_LLM_*`,',
      '`OPENAI_API_KEY`, `MISTRAL_API_KEY`); otherwise `reply.source` is `template` and `reply.reason` says why.',
    ].join(' '),
    tags: ['tickets'],
    scope: options.scope === undefined ? 'predict' : options.scope,
    body: triageBodySchema,
    response: triageResponseSchema,
    async handler(ctx) {
      const start = performance.now();
      const { title, body } = ctx.body;
      const text = ticketText(title, body);
      const inputs = { text: [text] };
      const [t, u] = await Promise.all([ctx.predict(topicModel.name, inputs), ctx.predict(urgencyModel.name, inputs)]);
      const [topic, urgency] = await Promise.all([readPrediction(topicModel, t), readPrediction(urgencyModel, u)]);
      const hits = knowledgeBase.search(text, { topic: topic.label, limit });
      // The LLM call stops when the client goes away.
      const gone = new AbortController();
      const onClose = () => gone.abort();
      ctx.res.once('close', onClose);
      let reply: Awaited<ReturnType<typeof draftReply>>;
      try {
        reply = await draftReply(
          {
            ticket: { title, body },
            topic: { label: topic.label, probability: topic.probabilities[topic.label] ?? 0 },
            urgency: { label: urgency.label },
            articles: hits.map((h) => h.article),
          },
          {
            ...(options.llm ? { llm: options.llm } : {}),
            ...(options.replyTimeoutMs !== undefined ? { timeoutMs: options.replyTimeoutMs } : {}),
            signal: gone.signal,
          },
        );
      } finally {
        ctx.res.off('close', onClose);
      }
      return {
        triageId: ctx.requestId,
        topic,
        urgency,
        articles: hits.map((h) => ({
          id: h.article.id,
          title: h.article.title,
          topic: h.article.topic,
          score: h.score,
          path: h.article.path,
        })),
        reply,
        latencyMs: performance.now() - start,
      };
    },
  };
}
