// The reply drafted for a triaged ticket: written by an LLM through @mlops/plugin-llm (any OpenAI-compatible
// chat-completions API) from the ticket and the retrieved articles, or, with no LLM configured or when the call
// fails or times out, a template built from the same articles. The reply always says which one it is.
import type { LlmClient } from '@mlops/plugin-llm';
import type { Article } from './knowledge-base.js';

/** A drafted reply and where it came from. */
export interface Reply {
  text: string;
  /** `llm` when the model wrote it, `template` for the fallback. */
  source: 'llm' | 'template';
  /** The LLM model that answered (source `llm`). */
  model?: string;
  /** Why the template was used (source `template`). */
  reason?: string;
}

/** What the reply is drafted from. */
export interface ReplyInput {
  ticket: { title: string; body: string };
  topic: { label: string; probability: number };
  urgency: { label: string };
  /** The retrieved articles, best first. */
  articles: readonly Article[];
}

/** Options of {@link draftReply}. */
export interface ReplyOptions {
  /**
   * The LLM client (`createLlmClient()`); a client that is not configured gives the template.
   * @default undefined (template)
   */
  llm?: LlmClient;
  /**
   * Longest wait for the LLM (all attempts), then the template.
   * @default 20000
   */
  timeoutMs?: number;
  /**
   * Most tokens of the LLM's reply.
   * @default 400
   */
  maxTokens?: number;
  /**
   * Characters of each article's body put in the prompt.
   * @default 1500
   */
  articleChars?: number;
  /** Aborts the LLM call (e.g. the client went away): the template is returned. */
  signal?: AbortSignal;
}

/** The system prompt: how the helpdesk assistant writes. */
export const REPLY_SYSTEM_PROMPT = [
  'You are an IT service desk agent replying to an employee who opened a support ticket.',
  'The ticket text may be lower-case with stop-words removed; read it for its meaning.',
  'Write a short, friendly reply (at most 180 words) in plain text: acknowledge the problem, give the concrete next',
  'steps from the knowledge-base articles provided, and say what the service desk will do next.',
  'Use only the articles provided; do not invent policies, links, phone numbers or names.',
  'Cite every article you use by its id in square brackets, e.g. [KB-HW-001].',
  'If no article fits the ticket, say that an agent will look at it and cite nothing.',
].join(' ');

/** Builds the chat messages sent to the LLM: the system prompt, then the ticket and the articles with their ids. */
export function buildReplyMessages(
  input: ReplyInput,
  articleChars = 1500,
): { role: 'system' | 'user'; content: string }[] {
  const articles = input.articles
    .map((a) => {
      const body = a.body.length > articleChars ? `${a.body.slice(0, articleChars)}…` : a.body;
      return `[${a.id}] ${a.title} (topic: ${a.topic})\n${body}`;
    })
    .join('\n\n---\n\n');
  const user = [
    `Ticket title: ${input.ticket.title || '(none)'}`,
    `Ticket body: ${input.ticket.body}`,
    `Predicted topic: ${input.topic.label} (probability ${input.topic.probability.toFixed(2)})`,
    `Urgency code: ${input.urgency.label} (an anonymised code from the ticketing system)`,
    '',
    `Knowledge-base articles (${input.articles.map((a) => a.id).join(', ') || 'none'}):`,
    '',
    articles || '(no article found)',
  ].join('\n');
  return [
    { role: 'system', content: REPLY_SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}

/** The fallback reply: the routing, the first steps of the best article and the other articles, by id. */
export function templateReply(input: ReplyInput): string {
  const [best, ...others] = input.articles;
  const about = input.ticket.title ? ` about "${input.ticket.title}"` : '';
  const lines = [
    'Hello,',
    '',
    `Thank you for your ticket${about}. It has been routed to the ${input.topic.label} team, who will follow up.`,
  ];
  if (best) {
    lines.push('', `In the meantime, our article [${best.id}] "${best.title}" may help:`);
    for (const [i, step] of best.steps.entries()) lines.push(`${i + 1}. ${step}`);
  }
  if (others.length > 0) {
    lines.push('', 'See also:');
    for (const a of others) lines.push(`- [${a.id}] ${a.title}`);
  }
  lines.push('', 'Best regards,', 'IT Service Desk');
  return lines.join('\n');
}

/**
 * Drafts the reply: the LLM's answer when a client is configured and answers in time, else the template with the
 * reason. Never throws.
 */
export async function draftReply(input: ReplyInput, options: ReplyOptions = {}): Promise<Reply> {
  const { llm } = options;
  const template = (reason: string): Reply => ({ text: templateReply(input), source: 'template', reason });
  if (!llm) return template('no LLM client given');
  if (!llm.configured) {
    const c = llm.config as { reason?: string };
    return template(
      `no LLM configured (${c.reason ?? 'not-configured'}): set MLOPS_LLM_API_KEY, OPENAI_API_KEY or MISTRAL_API_KEY, or MLOPS_LLM_BASE_URL and MLOPS_LLM_MODEL`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 20_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const r = await llm.tryChat({
    messages: buildReplyMessages(input, options.articleChars),
    temperature: 0.2,
    maxTokens: options.maxTokens ?? 400,
    signal,
  });
  if (r.ok) {
    const text = r.value.content.trim();
    if (text.length === 0) return template('the LLM returned an empty reply');
    return { text, source: 'llm', model: r.value.model };
  }
  if (r.reason === 'not-configured') return template(`no LLM configured: ${r.error.message}`);
  if (timeout.aborted) return template(`the LLM did not answer within ${timeoutMs} ms`);
  return template(`the LLM call failed (${r.error.code}): ${r.error.message}`);
}
