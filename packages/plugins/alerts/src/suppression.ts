import type { Alert } from '@mlops/core';

/** Options of {@link createSuppressor}. */
export interface SuppressorOptions {
  /**
   * An alert identical to the last delivered one of its dedupe key (same severity, title and message) within this many
   * milliseconds of that delivery is a duplicate and is not sent. `0` disables deduplication.
   * @default 3_600_000 (one hour)
   */
  dedupeWindowMs?: number;
  /**
   * At most one alert per dedupe key is sent within this many milliseconds, whatever its content (a flapping monitor
   * doesn't flood), except an escalation to a higher severity than the last delivered one. `0` disables cooldown.
   * @default 300_000 (five minutes)
   */
  cooldownMs?: number;
  /**
   * Clock in milliseconds.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Keys remembered at most; the oldest are forgotten first once their windows have passed.
   * @default 10_000
   */
  maxKeys?: number;
}

/** Why an alert was or was not sent. */
export type SuppressionDecision =
  | { action: 'send'; suppressed: number; suppressedSince?: Date; commit(): void; rollback(): void }
  | { action: 'deduplicated' | 'cooldown' };

/** Decides, per dedupe key, whether an alert is delivered or suppressed; counts what it suppresses. */
export interface Suppressor {
  /**
   * Decides for one alert. A `send` decision reserves the key at once (so concurrent alerts see it): call `commit()`
   * after a successful delivery, `rollback()` after a failed one (the key's previous state and counts come back).
   */
  decide(alert: Alert): SuppressionDecision;
  /** Keys currently remembered. */
  readonly size: number;
}

interface KeyState {
  lastSentAt: number;
  fingerprint: string;
  severity: number;
  suppressed: number;
  suppressedSince: number | undefined;
  inFlight: boolean;
}

const SEVERITY_RANK: Record<Alert['severity'], number> = { info: 0, warning: 1, critical: 2 };

const fingerprintOf = (a: Alert) => JSON.stringify([a.severity, a.title, a.message]);

/** Creates the dedup + cooldown state machine used by the webhook sink (in memory, per process). */
export function createSuppressor(opts: SuppressorOptions = {}): Suppressor {
  const dedupeWindowMs = opts.dedupeWindowMs ?? 3_600_000;
  const cooldownMs = opts.cooldownMs ?? 300_000;
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 10_000;
  const horizon = Math.max(dedupeWindowMs, cooldownMs);
  const keys = new Map<string, KeyState>();

  function prune(t: number) {
    if (keys.size < maxKeys) return;
    for (const [k, s] of keys) {
      if (!s.inFlight && t - s.lastSentAt >= horizon && s.suppressed === 0) keys.delete(k);
    }
    // Still full: forget the least recently delivered keys (Map iteration is insertion order; re-sends re-insert).
    for (const [k, s] of keys) {
      if (keys.size < maxKeys) break;
      if (!s.inFlight) keys.delete(k);
    }
  }

  function decide(alert: Alert): SuppressionDecision {
    const t = now();
    const state = keys.get(alert.dedupeKey);
    const fingerprint = fingerprintOf(alert);
    const severity = SEVERITY_RANK[alert.severity];
    if (state) {
      const elapsed = t - state.lastSentAt;
      const suppress = (action: 'deduplicated' | 'cooldown'): SuppressionDecision => {
        state.suppressed += 1;
        state.suppressedSince ??= t;
        return { action };
      };
      if (elapsed < dedupeWindowMs && fingerprint === state.fingerprint) return suppress('deduplicated');
      if (elapsed < cooldownMs && severity <= state.severity) return suppress('cooldown');
    } else {
      prune(t);
    }
    const previous = state ? { ...state } : undefined;
    const next: KeyState = {
      lastSentAt: t,
      fingerprint,
      severity,
      suppressed: 0,
      suppressedSince: undefined,
      inFlight: true,
    };
    keys.delete(alert.dedupeKey);
    keys.set(alert.dedupeKey, next);
    const suppressed = previous?.suppressed ?? 0;
    const since = previous?.suppressedSince;
    return {
      action: 'send',
      suppressed,
      ...(since !== undefined ? { suppressedSince: new Date(since) } : {}),
      commit() {
        next.inFlight = false;
      },
      rollback() {
        // Alerts suppressed while this one was in flight stay counted for the next delivery.
        if (keys.get(alert.dedupeKey) !== next) return;
        if (previous) {
          keys.set(alert.dedupeKey, {
            ...previous,
            suppressed: previous.suppressed + next.suppressed,
            suppressedSince: previous.suppressedSince ?? next.suppressedSince,
            inFlight: false,
          });
        } else if (next.suppressed > 0) {
          // Nothing delivered before: let the next alert through at once, carrying the count.
          keys.set(alert.dedupeKey, { ...next, lastSentAt: Number.NEGATIVE_INFINITY, inFlight: false });
        } else {
          keys.delete(alert.dedupeKey);
        }
      },
    };
  }

  return {
    decide,
    get size() {
      return keys.size;
    },
  };
}
