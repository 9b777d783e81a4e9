// The triage service of the IT-tickets example: `createTriage(...)` loads the knowledge base and returns the
// `POST /tickets/triage` route to mount with `server.route(route)`.
import { fileURLToPath } from 'node:url';
import { TICKET_TOPICS } from '@mlops/datasets';
import { createLlmClient, type LlmClient } from '@mlops/plugin-llm';
import type { RouteDefinition } from '@mlops/serve';
import { type KnowledgeBase, loadKnowledgeBase } from './knowledge-base.js';
import { type TriageModel, triageRoute } from './route.js';

export type { ClassResolver, RegistryVersionReader } from './classes.js';
export { classesFromSignature, registryClasses } from './classes.js';
export type { Article, ArticleHit, KnowledgeBase, KnowledgeBaseOptions, SearchOptions } from './knowledge-base.js';
export { createKnowledgeBase, loadKnowledgeBase, parseArticle } from './knowledge-base.js';
export type { Reply, ReplyInput, ReplyOptions } from './reply.js';
export { buildReplyMessages, draftReply, REPLY_SYSTEM_PROMPT, templateReply } from './reply.js';
export type { TriageModel, TriageRequest, TriageResponse, TriageRouteOptions } from './route.js';
export { ticketText, triageBodySchema, triageResponseSchema, triageRoute } from './route.js';

/** The example's knowledge base: `examples/it-tickets/kb`. */
export const KB_DIR = fileURLToPath(new URL('../../kb', import.meta.url));

/** Options of {@link createTriage}. */
export interface TriageOptions {
  /**
   * Folder of the knowledge-base articles.
   * @default KB_DIR (`examples/it-tickets/kb`)
   */
  kbDir?: string;
  /** The served topic model (e.g. `{ name: 'ticket-topic', classes: registryClasses(registry, 'ticket-topic') }`). */
  topicModel: TriageModel;
  /** The served urgency model. */
  urgencyModel: TriageModel;
  /**
   * The LLM that drafts replies; `false` always uses the template.
   * @default createLlmClient({ timeoutMs: 15000, retries: 1 }) (configured from MLOPS_LLM_* / OPENAI_API_KEY / MISTRAL_API_KEY)
   */
  llm?: LlmClient | false;
  /**
   * Articles per triage.
   * @default 3
   */
  articles?: number;
  /**
   * Longest wait for the LLM before the template reply.
   * @default 20000
   */
  replyTimeoutMs?: number;
}

/** What {@link createTriage} returns. */
export interface Triage {
  /** Mount it with `server.route(triage.route)`. */
  route: RouteDefinition;
  knowledgeBase: KnowledgeBase;
  /** The LLM client in use, or undefined (template only). */
  llm: LlmClient | undefined;
}

/** Loads and validates the knowledge base (two articles or more per topic) and builds the triage route. */
export function createTriage(options: TriageOptions): Triage {
  const knowledgeBase = loadKnowledgeBase({ dir: options.kbDir ?? KB_DIR, topics: TICKET_TOPICS, minPerTopic: 2 });
  const llm = options.llm === false ? undefined : (options.llm ?? createLlmClient({ timeoutMs: 15_000, retries: 1 }));
  const route = triageRoute({
    knowledgeBase,
    topicModel: options.topicModel,
    urgencyModel: options.urgencyModel,
    ...(llm ? { llm } : {}),
    ...(options.articles !== undefined ? { articles: options.articles } : {}),
    ...(options.replyTimeoutMs !== undefined ? { replyTimeoutMs: options.replyTimeoutMs } : {}),
  }) as unknown as RouteDefinition;
  return { route, knowledgeBase, llm };
}
