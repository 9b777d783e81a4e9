/**
 * An exponential backoff between attempts, as consumed by {@link backoffDelay}: the one backoff type of every package.
 * Options that take one (`createLlmClient({ backoff })`, `webhookAlertSink({ backoff })`,
 * `postgresStore({ listenBackoff })`, a pipeline step's `retries: { backoff }`) accept a `Partial<Backoff>` and fill in
 * their own documented defaults.
 */
export interface Backoff {
  /** Delay before the first retry (before jitter), in milliseconds. */
  initialMs: number;
  /** Cap on the computed delay (before jitter), in milliseconds. */
  maxMs: number;
  /** Growth of the delay per attempt (2 doubles it). */
  factor: number;
}

/**
 * Parses a `Retry-After` header (delay in seconds, or an HTTP date) into milliseconds from `now`; `undefined` when
 * absent or unparseable. A date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The delay a response asks for, in milliseconds: `retry-after-ms` (OpenAI's millisecond variant) first, then
 * `Retry-After` (seconds or an HTTP date); `undefined` when neither is usable.
 */
export function retryAfterOf(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms.trim()));
  return parseRetryAfter(headers.get('retry-after'), now);
}

/**
 * Exponential backoff with "equal jitter": attempt `n` (0-based) waits a random time in
 * `[d/2, d]` where `d = min(maxMs, initialMs * factor^n)`, so retries of many clients spread out but never shrink to 0.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const d = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** attempt);
  return Math.round(d / 2 + random() * (d / 2));
}

/** True for HTTP statuses worth retrying: 408, 425, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
