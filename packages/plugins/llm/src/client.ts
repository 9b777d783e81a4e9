import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Backoff,
  backoffDelay,
  invalidInput,
  isRetryableStatus,
  MlopsError,
  type MlopsErrorCode,
  retryAfterOf,
  zodIssues,
} from '@mlops/core';
import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import {
  type LlmConfig,
  type LlmConnectionOptions,
  type LlmNotConfigured,
  resolveLlmConfig,
  safeOrigin,
} from './config.js';
import { codeForStatus, LlmError, LlmNotConfiguredError, providerError, redact } from './errors.js';

/** What the client reports before each retry (no secrets in it). */
export interface LlmRetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  code: MlopsErrorCode;
  status?: number;
  message: string;
}

/** Options of {@link createLlmClient}: connection settings (see `LlmConnectionOptions`) plus transport behaviour. */
export interface LlmClientOptions extends LlmConnectionOptions {
  /**
   * Time limit of one attempt in milliseconds: the whole response for `chat`, the wait for each next chunk (idle time)
   * for `chatStream`. A timeout is not retried.
   * @default 60_000
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt, on network errors, 408/425/429 and 5xx (never on 400/401/403/404).
   * A stream is only retried before its first byte.
   * @default 2
   */
  retries?: number;
  /**
   * Backoff between attempts (exponential with jitter); `Retry-After` / `retry-after-ms` take precedence. Fields left
   * out take their defaults: `initialMs` 1_000, `maxMs` 20_000, `factor` 2.
   * @default { initialMs: 1_000, maxMs: 20_000, factor: 2 }
   */
  backoff?: Partial<Backoff>;
  /**
   * Longest `Retry-After` honoured; a provider asking for more fails at once with `RATE_LIMITED`.
   * @default 60_000
   */
  maxRetryAfterMs?: number;
  /**
   * Extra request headers (e.g. `OpenAI-Organization`).
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The fetch implementation.
   * @default globalThis.fetch (undici)
   */
  fetch?: typeof fetch;
  /**
   * Called before each retry, e.g. to log it.
   * @default undefined
   */
  onRetry?: (info: LlmRetryInfo) => void;
}

/** Schema of one chat message. */
export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'developer', 'tool']),
  content: z.string(),
  name: z.string().min(1).optional(),
  tool_call_id: z.string().optional(),
});

/** One chat message: `{ role: 'system' | 'user' | 'assistant' | 'developer' | 'tool', content }`. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

const chatRequestSchema = z.object({
  messages: z.array(chatMessageSchema).min(1),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  model: z.string().min(1).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

/** A chat-completions request. */
export interface ChatRequest {
  messages: ChatMessage[];
  /**
   * Sampling temperature in [0, 2].
   * @default the provider's
   */
  temperature?: number;
  /**
   * Most tokens to generate (sent as `max_tokens`).
   * @default the provider's
   */
  maxTokens?: number;
  /**
   * Overrides the configured model for this call.
   * @default the client's model
   */
  model?: string;
  /**
   * Extra body fields passed through as is (e.g. `{ response_format: { type: 'json_object' } }`).
   * @default undefined
   */
  extra?: Record<string, unknown>;
  /**
   * Cancels the call (and any wait between retries): it rejects with `ABORTED`.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** Token counts reported by the provider. */
export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** The result of {@link LlmClient.chat}. */
export interface ChatResult {
  /** The assistant's text (`''` when the provider returned none, e.g. only tool calls). */
  content: string;
  /** The model that answered, as the provider reports it. */
  model: string;
  usage: ChatUsage | undefined;
  /** `stop`, `length`, `content_filter`, `tool_calls`… or `null` when the provider gave none. */
  finishReason: string | null;
}

/** One piece of a streamed answer. */
export interface ChatDelta {
  /** Text added by this chunk (may be `''` on the final chunk). */
  content: string;
  /** Set on the last content chunk. */
  finishReason: string | null;
  model?: string;
  /** Present when the provider reports usage in the stream (usually on the final chunk). */
  usage?: ChatUsage;
}

/** The result of {@link LlmClient.tryChat}: the answer, or why there is none, to fall back from. */
export type TryChatResult =
  | { ok: true; value: ChatResult }
  | { ok: false; reason: 'not-configured'; error: LlmNotConfiguredError }
  | { ok: false; reason: 'failed'; error: LlmError };

/** The configuration a client uses, without the API key. */
export type LlmClientConfig = (Omit<LlmConfig, 'apiKey'> & { hasApiKey: boolean }) | LlmNotConfigured;

/** An OpenAI-compatible chat-completions client. */
export interface LlmClient {
  /** False when no LLM is configured: `chat` then throws `LlmNotConfiguredError`, `tryChat` returns `not-configured`. */
  readonly configured: boolean;
  /** The resolved configuration (provider, base URL, model, where each came from), never the key. */
  readonly config: LlmClientConfig;
  /** Sends a chat and returns the whole answer. */
  chat(req: ChatRequest): Promise<ChatResult>;
  /** Like `chat`, but never throws for "not configured" or a failed call: returns `{ ok: false, reason, error }`. */
  tryChat(req: ChatRequest): Promise<TryChatResult>;
  /** Sends a chat with `stream: true` and yields the answer's deltas as the server-sent events arrive. */
  chatStream(req: ChatRequest): AsyncIterable<ChatDelta>;
}

const optionsSchema = z.object({
  timeoutMs: z.number().positive().default(60_000),
  retries: z.number().int().min(0).max(10).default(2),
  backoff: z
    .object({
      initialMs: z.number().min(0).default(1_000),
      maxMs: z.number().min(0).default(20_000),
      factor: z.number().min(1).default(2),
    })
    .default({ initialMs: 1_000, maxMs: 20_000, factor: 2 }),
  maxRetryAfterMs: z.number().min(0).default(60_000),
  headers: z.record(z.string(), z.string()).default({}),
});

const usageSchema = z.object({
  prompt_tokens: z.number().default(0),
  completion_tokens: z.number().default(0),
  total_tokens: z.number().optional(),
});

const responseSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: usageSchema.nullable().optional(),
});

const chunkSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullable().optional() }).nullable().optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .default([]),
  usage: usageSchema.nullable().optional(),
});

const toUsage = (u: z.infer<typeof usageSchema> | null | undefined): ChatUsage | undefined =>
  u
    ? {
        promptTokens: u.prompt_tokens,
        completionTokens: u.completion_tokens,
        totalTokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
      }
    : undefined;

function invalid(what: string, error: z.ZodError): MlopsError {
  return invalidInput(`invalid ${what}`, zodIssues(error));
}

const isAbortLike = (err: unknown) =>
  err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');

/**
 * Creates a client for any OpenAI-compatible `POST /chat/completions` API: OpenAI, Mistral, or a local server
 * (Ollama, llama.cpp, vLLM, LM Studio). Configuration comes from options, then `MLOPS_LLM_*`, then
 * `OPENAI_API_KEY` / `MISTRAL_API_KEY`. Without any, the client is `configured: false` and the caller falls back.
 *
 * @example
 * const llm = createLlmClient();
 * const r = await llm.tryChat({ messages: [{ role: 'user', content: 'Summarise this ticket: …' }] });
 * const reply = r.ok ? r.value.content : templateReply(ticket);
 */
export function createLlmClient(options: LlmClientOptions = {}): LlmClient {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw invalid('createLlmClient options', parsed.error);
  const o = parsed.data;
  const backoff: Backoff = o.backoff;
  const doFetch = options.fetch ?? globalThis.fetch;
  const resolved = resolveLlmConfig(options);
  if (resolved.configured && !z.url({ protocol: /^https?$/ }).safeParse(resolved.baseUrl).success) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid LLM base URL (from ${resolved.sources.baseUrl}): expected an http(s) URL`,
      details: [{ path: 'baseUrl', message: 'expected an http(s) URL' }],
    });
  }
  const apiKey = resolved.configured ? resolved.apiKey : undefined;
  const config: LlmClientConfig = resolved.configured
    ? {
        configured: true,
        provider: resolved.provider,
        baseUrl: resolved.baseUrl,
        model: resolved.model,
        hasApiKey: apiKey !== undefined,
        sources: resolved.sources,
      }
    : resolved;
  const provider = resolved.configured ? resolved.provider : undefined;
  const where = resolved.configured ? safeOrigin(resolved.baseUrl) : '';
  const clean = (s: string) => redact(s, apiKey);

  function fail(code: MlopsErrorCode, message: string, extra: Partial<ConstructorParameters<typeof LlmError>[1]> = {}) {
    return new LlmError(code, {
      message: clean(`LLM request to ${where} failed: ${message}`),
      ...(provider ? { provider } : {}),
      ...extra,
    });
  }

  function prepare(
    req: ChatRequest,
    stream: boolean,
  ): { cfg: LlmConfig; body: string; signal: AbortSignal | undefined } {
    if (!resolved.configured) throw new LlmNotConfiguredError(resolved);
    const r = chatRequestSchema.safeParse(req);
    if (!r.success) throw invalid('chat request', r.error);
    const { messages, temperature, maxTokens, model, extra } = r.data;
    const body = {
      ...extra,
      model: model ?? resolved.model,
      messages,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
      ...(stream ? { stream: true } : {}),
    };
    return { cfg: resolved, body: JSON.stringify(body), signal: req.signal };
  }

  /**
   * Sends the request with retries and resolves with an OK response. `onResponse` reads it while the attempt's timer
   * is armed; a stream re-arms it per chunk with `idle()` and stops it with `disarm()`.
   */
  async function send(
    cfg: LlmConfig,
    body: string,
    signal: AbortSignal | undefined,
    stream: boolean,
    onResponse: (res: Response, attempt: number) => Promise<void> | void = () => {},
  ): Promise<{ res: Response; attempt: number; timeout: AbortController; idle: () => void; disarm: () => void }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      ...o.headers,
      ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted)
        throw fail('ABORTED', 'aborted by the caller', { cause: signal.reason, attempts: attempt - 1 });
      // One controller per attempt: for chat it bounds the whole exchange, for a stream it is re-armed on every chunk.
      const timeout = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const idle = () => {
        clearTimeout(timer);
        timer = setTimeout(() => timeout.abort(new DOMException('timed out', 'TimeoutError')), o.timeoutMs);
      };
      const disarm = () => clearTimeout(timer);
      idle();
      const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
      let error: LlmError;
      let retryAfter: number | undefined;
      try {
        const res = await doFetch(`${cfg.baseUrl}/chat/completions`, {
          method: 'POST',
          headers,
          body,
          signal: combined,
        });
        if (res.ok) {
          await onResponse(res, attempt);
          return { res, attempt, timeout, idle, disarm };
        }
        const text = await res.text().catch(() => '');
        disarm();
        const pe = providerError(text);
        error = fail(codeForStatus(res.status), `HTTP ${res.status}${pe.message ? `: ${pe.message}` : ''}`, {
          status: res.status,
          ...(pe.code ? { providerCode: pe.code } : {}),
          attempts: attempt,
        });
        if (!isRetryableStatus(res.status)) throw error;
        retryAfter = retryAfterOf(res.headers);
      } catch (err) {
        disarm();
        if (err instanceof LlmError) throw err;
        if (signal?.aborted) {
          throw fail('ABORTED', 'aborted by the caller', { cause: err, attempts: attempt });
        }
        if (timeout.signal.aborted && isAbortLike(err)) {
          throw fail('TIMEOUT', `no response within ${o.timeoutMs} ms`, { cause: err, attempts: attempt });
        }
        const e = err as Error;
        const reason = (e.cause as Error | undefined)?.message ?? e.message;
        error = fail('UPSTREAM_ERROR', `network error: ${reason}`, { cause: err, attempts: attempt });
      }
      if (attempt > o.retries) throw error;
      if (retryAfter !== undefined && retryAfter > o.maxRetryAfterMs) {
        throw fail(error.code, `${error.message} (Retry-After ${retryAfter} ms exceeds ${o.maxRetryAfterMs} ms)`, {
          ...(error.status !== undefined ? { status: error.status } : {}),
          attempts: attempt,
        });
      }
      const delayMs = retryAfter ?? backoffDelay(attempt - 1, backoff);
      options.onRetry?.({
        attempt,
        delayMs,
        code: error.code,
        ...(error.status !== undefined ? { status: error.status } : {}),
        message: error.message,
      });
      try {
        await sleep(delayMs, undefined, signal ? { signal } : {});
      } catch (err) {
        throw fail('ABORTED', 'aborted by the caller', { cause: err, attempts: attempt });
      }
    }
  }

  async function chat(req: ChatRequest): Promise<ChatResult> {
    const { cfg, body, signal } = prepare(req, false);
    let text = '';
    const sent = await send(cfg, body, signal, false, async (res) => {
      text = await res.text();
    });
    sent.disarm();
    const { attempt } = sent;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw fail('UPSTREAM_ERROR', `malformed JSON in the response: ${JSON.stringify(text.slice(0, 120))}`, {
        cause: err,
        status: 200,
        attempts: attempt,
      });
    }
    const r = responseSchema.safeParse(json);
    if (!r.success) {
      const pe = providerError(text);
      throw fail(
        'UPSTREAM_ERROR',
        `unexpected response shape${pe.message ? `: ${pe.message}` : ` (${r.error.issues[0]?.message})`}`,
        { status: 200, attempts: attempt },
      );
    }
    const choice = r.data.choices[0];
    return {
      content: choice?.message.content ?? '',
      model: r.data.model ?? cfg.model,
      usage: toUsage(r.data.usage),
      finishReason: choice?.finish_reason ?? null,
    };
  }

  async function* chatStream(req: ChatRequest): AsyncGenerator<ChatDelta> {
    const { cfg, body, signal } = prepare(req, true);
    const { res, idle, disarm, timeout } = await send(cfg, body, signal, true);
    const events: string[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e.data) });
    const decoder = new TextDecoder();
    let done = false;
    let finished = false;
    let completed = false;
    try {
      if (!res.body) throw fail('UPSTREAM_ERROR', 'empty stream');
      const reader = res.body.getReader();
      try {
        while (!done) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            if (signal?.aborted) throw fail('ABORTED', 'aborted by the caller', { cause: err });
            if (timeout.signal.aborted) throw fail('TIMEOUT', `stream idle for ${o.timeoutMs} ms`, { cause: err });
            const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
            throw fail('UPSTREAM_ERROR', `stream interrupted: ${reason}`, { cause: err });
          }
          idle();
          if (chunk.done) {
            parser.feed(decoder.decode());
            parser.reset({ consume: true });
          } else {
            parser.feed(decoder.decode(chunk.value, { stream: true }));
          }
          while (events.length > 0) {
            const data = (events.shift() as string).trim();
            if (data === '[DONE]') {
              done = true;
              break;
            }
            let json: unknown;
            try {
              json = JSON.parse(data);
            } catch (err) {
              throw fail('UPSTREAM_ERROR', `malformed JSON in the stream: ${JSON.stringify(data.slice(0, 120))}`, {
                cause: err,
              });
            }
            const asObj = json as { error?: unknown };
            if (asObj && typeof asObj === 'object' && asObj.error) {
              const pe = providerError(data);
              throw fail('UPSTREAM_ERROR', `error in the stream: ${pe.message ?? 'unknown'}`, {
                ...(pe.code ? { providerCode: pe.code } : {}),
              });
            }
            const c = chunkSchema.safeParse(json);
            if (!c.success) throw fail('UPSTREAM_ERROR', `unexpected chunk shape: ${c.error.issues[0]?.message}`);
            const choice = c.data.choices[0];
            const content = choice?.delta?.content ?? '';
            const finishReason = choice?.finish_reason ?? null;
            const usage = toUsage(c.data.usage);
            if (finishReason) finished = true;
            if (content === '' && !finishReason && !usage) continue;
            yield {
              content,
              finishReason,
              ...(c.data.model ? { model: c.data.model } : {}),
              ...(usage ? { usage } : {}),
            };
          }
          if (chunk.done && !done) {
            // Some servers close after the finish_reason chunk without `[DONE]`; anything else was cut short.
            if (!finished) throw fail('UPSTREAM_ERROR', 'stream ended before the answer was complete');
            done = true;
          }
        }
        completed = true;
      } finally {
        if (!completed) await reader.cancel().catch(() => {});
        reader.releaseLock();
      }
    } finally {
      disarm();
    }
  }

  return {
    configured: resolved.configured,
    config,
    chat,
    async tryChat(req) {
      try {
        return { ok: true, value: await chat(req) };
      } catch (err) {
        if (err instanceof LlmNotConfiguredError) return { ok: false, reason: 'not-configured', error: err };
        if (err instanceof LlmError) return { ok: false, reason: 'failed', error: err };
        throw err;
      }
    },
    chatStream,
  };
}
