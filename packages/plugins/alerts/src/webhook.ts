import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Alert,
  type AlertSink,
  alertSchema,
  type Backoff,
  backoffDelay,
  invalidInput,
  isRetryableStatus,
  MlopsError,
  parseRetryAfter,
  zodIssues,
} from '@mlops/core';
import { z } from 'zod';
import { type AlertDeliveryContext, toJsonPayload, toSlackPayload } from './payload.js';
import { createSuppressor } from './suppression.js';

/** Options of {@link webhookAlertSink}. */
export interface WebhookAlertSinkOptions {
  /** Where alerts are POSTed (`http:` or `https:`). Treated as a secret: messages only show its origin. */
  url: string;
  /**
   * Body shape: `'json'` (the alert as JSON, see `JsonAlertPayload`) or `'slack'` (`text` + `blocks`, accepted by Slack
   * incoming webhooks and compatible receivers such as Mattermost or Rocket.Chat).
   * @default 'json'
   */
  format?: 'json' | 'slack';
  /**
   * Extra request headers (e.g. `Authorization`).
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * Retries after the first attempt, on network errors, timeouts, 408/425/429 and 5xx. Other 4xx are never retried.
   * @default 3
   */
  retries?: number;
  /**
   * Backoff between attempts (exponential with jitter); a `Retry-After` header takes precedence. Fields left out take
   * their defaults: `initialMs` 500, `maxMs` 30_000, `factor` 2. `maxMs` is also the longest `Retry-After` honoured (a
   * server asking for more fails the send).
   * @default { initialMs: 500, maxMs: 30_000, factor: 2 }
   */
  backoff?: Partial<Backoff>;
  /**
   * Time limit of one attempt, in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * An alert identical to the last delivered one of its dedupe key (same severity, title and message) within this
   * window is sent once. `0` disables deduplication.
   * @default 3_600_000
   */
  dedupeWindowMs?: number;
  /**
   * At most one alert per dedupe key per cooldown, whatever its content, unless its severity is higher than the last
   * delivered one. The next delivered alert carries the count of those suppressed. `0` disables cooldown.
   * @default 300_000
   */
  cooldownMs?: number;
  /**
   * Name for logs.
   * @default 'webhook' (json) or 'slack'
   */
  name?: string;
  /**
   * The fetch implementation.
   * @default globalThis.fetch (undici)
   */
  fetch?: typeof fetch;
  /**
   * Clock in milliseconds, for dedup and cooldown.
   * @default Date.now
   */
  now?: () => number;
}

/** Counters of a {@link WebhookAlertSink}. */
export interface WebhookAlertSinkStats {
  /** Alerts delivered. */
  sent: number;
  /** Alerts not sent because of dedup or cooldown (duplicates included). */
  suppressed: number;
  /** The part of `suppressed` that were exact duplicates. */
  deduplicated: number;
  /** Alerts whose delivery failed after every retry. */
  failed: number;
  /** Retries made (attempts after the first). */
  retries: number;
}

/** What happened to one alert. */
export type DeliveryResult =
  | { status: 'sent'; attempts: number; httpStatus: number; suppressedIncluded: number }
  | { status: 'deduplicated' | 'cooldown' };

/** An {@link AlertSink} posting to a webhook, with retries, deduplication and cooldown. */
export interface WebhookAlertSink extends AlertSink {
  /** Like `send`, but says whether the alert was sent or suppressed (and why). Rejects when delivery failed. */
  deliver(alert: Alert): Promise<DeliveryResult>;
  /** Counters since creation. */
  stats(): WebhookAlertSinkStats;
}

const optionsSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  format: z.enum(['json', 'slack']).default('json'),
  headers: z.record(z.string(), z.string()).default({}),
  retries: z.number().int().min(0).max(20).default(3),
  backoff: z
    .object({
      initialMs: z.number().min(0).default(500),
      maxMs: z.number().min(0).default(30_000),
      factor: z.number().min(1).default(2),
    })
    .default({ initialMs: 500, maxMs: 30_000, factor: 2 }),
  timeoutMs: z.number().positive().default(10_000),
  dedupeWindowMs: z.number().min(0).default(3_600_000),
  cooldownMs: z.number().min(0).default(300_000),
  name: z.string().min(1).optional(),
});

class AttemptError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'status',
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An alert sink that POSTs each alert to a webhook as generic JSON or as a Slack-compatible message, retrying with
 * exponential backoff and jitter (honouring `Retry-After`), deduplicating repeats and applying a per-key cooldown so a
 * flapping monitor doesn't flood the channel.
 *
 * @example
 * const sink = webhookAlertSink({ url: process.env.SLACK_WEBHOOK_URL!, format: 'slack', cooldownMs: 10 * 60_000 });
 * await sink.send(createAlert({ severity: 'critical', title: 'Drift on tickets v3', message: 'PSI 0.31 on text' }));
 */
export function webhookAlertSink(options: WebhookAlertSinkOptions): WebhookAlertSink {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const details = zodIssues(parsed.error);
    throw invalidInput('invalid webhookAlertSink options', details);
  }
  const o = parsed.data;
  const backoff: Backoff = o.backoff;
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const origin = new URL(o.url).origin;
  const name = o.name ?? (o.format === 'slack' ? 'slack' : 'webhook');
  const suppressor = createSuppressor({ dedupeWindowMs: o.dedupeWindowMs, cooldownMs: o.cooldownMs, now });
  const counts: WebhookAlertSinkStats = { sent: 0, suppressed: 0, deduplicated: 0, failed: 0, retries: 0 };

  const render = (alert: Alert, ctx: AlertDeliveryContext) =>
    JSON.stringify(o.format === 'slack' ? toSlackPayload(alert, ctx) : toJsonPayload(alert, ctx));

  async function attempt(body: string): Promise<number> {
    let res: Response;
    try {
      res = await doFetch(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'mlops-alerts', ...o.headers },
        body,
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new AttemptError(`timed out after ${o.timeoutMs} ms`, 'timeout', true, undefined, undefined, {
          cause: err,
        });
      }
      const reason = (e.cause as Error | undefined)?.message ?? e.message;
      throw new AttemptError(`network error: ${reason}`, 'network', true, undefined, undefined, { cause: err });
    }
    // Read (and so release) the body whatever the status; keep a short excerpt for the error message.
    const text = await res.text().catch(() => '');
    if (res.ok) return res.status;
    const excerpt = text.trim().slice(0, 200);
    throw new AttemptError(
      `HTTP ${res.status}${excerpt ? `: ${excerpt}` : ''}`,
      'status',
      isRetryableStatus(res.status),
      res.status,
      parseRetryAfter(res.headers.get('retry-after')),
    );
  }

  async function post(body: string): Promise<{ attempts: number; httpStatus: number }> {
    for (let n = 0; ; n++) {
      try {
        return { attempts: n + 1, httpStatus: await attempt(body) };
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        const exhausted = n >= o.retries;
        const tooLong = err.retryAfterMs !== undefined && err.retryAfterMs > backoff.maxMs;
        if (!err.retryable || exhausted || tooLong) {
          const code =
            err.kind === 'timeout' ? 'TIMEOUT' : err.status === 429 ? 'RATE_LIMITED' : ('UPSTREAM_ERROR' as const);
          const why = tooLong && !exhausted ? ` (Retry-After ${err.retryAfterMs} ms exceeds ${backoff.maxMs} ms)` : '';
          throw new MlopsError(code, {
            message: `alert delivery to ${origin} failed after ${n + 1} attempt${n === 0 ? '' : 's'}: ${err.message}${why}`,
            details: { sink: name, origin, attempts: n + 1, ...(err.status ? { status: err.status } : {}) },
            cause: err,
          });
        }
        counts.retries += 1;
        await sleep(err.retryAfterMs ?? backoffDelay(n, backoff));
      }
    }
  }

  async function deliver(input: Alert): Promise<DeliveryResult> {
    const checked = alertSchema.safeParse(input);
    if (!checked.success) {
      const details = zodIssues(checked.error);
      throw invalidInput('invalid alert', details);
    }
    const alert = checked.data;
    const decision = suppressor.decide(alert);
    if (decision.action !== 'send') {
      counts.suppressed += 1;
      if (decision.action === 'deduplicated') counts.deduplicated += 1;
      return { status: decision.action };
    }
    const ctx: AlertDeliveryContext = {
      suppressed: decision.suppressed,
      ...(decision.suppressedSince ? { suppressedSince: decision.suppressedSince } : {}),
    };
    try {
      const { attempts, httpStatus } = await post(render(alert, ctx));
      decision.commit();
      counts.sent += 1;
      return { status: 'sent', attempts, httpStatus, suppressedIncluded: decision.suppressed };
    } catch (err) {
      decision.rollback();
      counts.failed += 1;
      throw err;
    }
  }

  return {
    name,
    deliver,
    async send(alert) {
      await deliver(alert);
    },
    stats: () => ({ ...counts }),
  };
}
