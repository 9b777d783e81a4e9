/** Backoff settings shared by the sink's retry loop. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
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
 * Exponential backoff with "equal jitter": attempt `n` (0-based) waits a random time in
 * `[d/2, d]` where `d = min(maxMs, initialMs * factor^n)`, so retries of many clients spread out but never shrink to 0.
 */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const d = Math.min(b.maxMs, b.initialMs * b.factor ** attempt);
  return Math.round(d / 2 + random() * (d / 2));
}

/** True for statuses worth retrying: 408, 425, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
