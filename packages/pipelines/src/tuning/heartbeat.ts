// The heartbeat of one optimize call: renews the leases of its running trials, and aborts a trial whose lease another
// worker took over (this process was stalled past the lease), so its result is discarded.
import { MlopsError, type Store } from '@mlops/core';

/** A trial this worker is running. */
export interface InflightTrial {
  attempt: number;
  /** Aborts the trial's `signal`. */
  controller: AbortController;
  /** Set while the outcome is being recorded: the heartbeat no longer judges the lease. */
  finishing: boolean;
}

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  store: Store;
  /** The study's name. */
  study: string;
  worker: string;
  /** Each beat extends the leases to now + `leaseMs`. */
  leaseMs: number;
  /** The trials in flight in this call, by number (read at every beat). */
  inflight: ReadonlyMap<number, InflightTrial>;
  /**
   * Time between beats.
   * @default max(25, leaseMs / 4)
   */
  intervalMs?: number;
}

/** A running heartbeat. */
export interface Heartbeat {
  /** One beat now (skipped when a beat is still running or nothing is in flight); the timer calls it. */
  beat(): Promise<void>;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Starts renewing the leases of this worker's running trials. A trial that is in flight here but no longer this
 * worker's (or this attempt's) in the store is aborted with `CONFLICT`. A failed beat is retried at the next tick: the
 * lease covers a few missed ones.
 */
export function startHeartbeat(o: HeartbeatOptions): Heartbeat {
  let beating = false;
  const beat = async () => {
    if (beating || o.inflight.size === 0) return;
    beating = true;
    const checked = [...o.inflight.entries()];
    try {
      const rows = await o.store.query<{ number: number; attempt: number }>(
        `UPDATE pipelines_trials SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $3::double precision)
         WHERE study = $1 AND worker = $2 AND status = 'running' RETURNING number, attempt`,
        [o.study, o.worker, o.leaseMs / 1000],
      );
      const held = new Set(rows.map((r) => `${r.number}:${r.attempt}`));
      for (const [number, entry] of checked) {
        if (o.inflight.get(number) !== entry || entry.finishing) continue;
        if (!held.has(`${number}:${entry.attempt}`)) {
          entry.controller.abort(
            new MlopsError('CONFLICT', { message: `trial ${number}: the lease was lost to another worker` }),
          );
        }
      }
    } catch {
      // A failed heartbeat is retried at the next tick; the lease covers a few missed ones.
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(beat, o.intervalMs ?? Math.max(25, Math.floor(o.leaseMs / 4)));
  return { beat, stop: () => clearInterval(timer) };
}
