// Claiming trials: under a lock on the study row, a worker takes over a trial whose lease expired or claims the next
// trial number and samples its params; the claim loop runs claimed trials until the study's budget is spent.
import type { Store } from '@mlops/core';
import { rngFor } from '../_internal/rng.js';
import type { Observation, SampleFn } from './samplers.js';
import type { Choice, SearchSpace } from './space.js';

/** A trial this worker may run: a new number with freshly sampled params, or a dead worker's trial taken over. */
export interface Claim {
  number: number;
  params: Record<string, Choice>;
  /** 1 for a new trial; one more than before for a reclaimed one. */
  attempt: number;
  /** The worker whose lease expired, for a reclaimed trial. */
  reclaimedFrom?: string;
}

/** The study as claims see it. */
export interface ClaimSettings {
  store: Store;
  /** The study's name. */
  study: string;
  space: SearchSpace;
  direction: 'minimize' | 'maximize';
  seed: number;
  sample: SampleFn;
  /** TPE batch: trial n is modelled on the complete trials numbered below n − (n mod batch) only. */
  batch?: number;
}

/** One claim by one worker. */
export interface ClaimRequest {
  /** The study's total trial budget (all workers). */
  budget: number;
  worker: string;
  leaseMs: number;
  /** Trials this worker runs right now: never reclaimed by it, whatever their lease says. */
  mine: readonly number[];
}

/**
 * Under a lock on the study row: reclaims a trial whose lease expired, or claims the next trial number and samples
 * its params. `'wait'` when the budget is spent but trials are still running (or, with a TPE batch, when the trials
 * the next one is modelled on have not finished); undefined when the study is done.
 */
export function claimTrial(s: ClaimSettings, r: ClaimRequest): Promise<Claim | 'wait' | undefined> {
  return s.store.transaction(async (tx): Promise<Claim | 'wait' | undefined> => {
    await tx.query('SELECT name FROM pipelines_studies WHERE name = $1 FOR UPDATE', [s.study]);
    const lease = r.leaseMs / 1000;
    const [dead] = await tx.query<{
      number: number;
      params: Record<string, Choice>;
      worker: string;
      attempt: number;
    }>(
      `SELECT number, params, worker, attempt FROM pipelines_trials
       WHERE study = $1 AND status = 'running' AND lease_expires_at < now()
         AND number NOT IN (SELECT (jsonb_array_elements_text($2::jsonb))::int)
       ORDER BY number LIMIT 1`,
      [s.study, JSON.stringify(r.mine)],
    );
    if (dead) {
      const attempt = Number(dead.attempt) + 1;
      await tx.query(
        `UPDATE pipelines_trials SET worker = $3, attempt = $4, run_id = NULL, started_at = now(), heartbeat_at = now(),
           lease_expires_at = now() + make_interval(secs => $5::double precision)
         WHERE study = $1 AND number = $2`,
        [s.study, dead.number, r.worker, attempt, lease],
      );
      await tx.query('DELETE FROM pipelines_trial_values WHERE study = $1 AND number = $2', [s.study, dead.number]);
      return { number: Number(dead.number), params: dead.params, attempt, reclaimedFrom: dead.worker };
    }
    const [c] = await tx.query<{ n: number | string; next: number | string; running: number | string }>(
      `SELECT count(*) AS n, coalesce(max(number) + 1, 0) AS next,
         count(*) FILTER (WHERE status = 'running' AND lease_expires_at IS NOT NULL) AS running
       FROM pipelines_trials WHERE study = $1`,
      [s.study],
    );
    if (Number(c!.n) >= r.budget) return Number(c!.running) > 0 ? 'wait' : undefined;
    const number = Number(c!.next);
    let below = number;
    if (s.batch !== undefined) {
      below = number - (number % s.batch);
      const [b] = await tx.query<{ n: number | string }>(
        `SELECT count(*) AS n FROM pipelines_trials WHERE study = $1 AND number < $2 AND status = 'running'`,
        [s.study, below],
      );
      if (Number(b!.n) > 0) return 'wait';
    }
    const history = (
      await tx.query<{ params: Record<string, Choice>; value: number | string }>(
        `SELECT params, value FROM pipelines_trials
         WHERE study = $1 AND status = 'complete' AND value IS NOT NULL AND number < $2
         ORDER BY number`,
        [s.study, below],
      )
    ).map((h): Observation => ({ params: h.params, value: Number(h.value) }));
    const params = s.sample(s.space, history, s.direction, rngFor(s.seed, number));
    await tx.query(
      `INSERT INTO pipelines_trials (study, number, status, params, worker, attempt, heartbeat_at, lease_expires_at)
       VALUES ($1, $2, 'running', $3::jsonb, $4, 1, now(), now() + make_interval(secs => $5::double precision))`,
      [s.study, number, JSON.stringify(params), r.worker, lease],
    );
    return { number, params, attempt: 1 };
  });
}

/** Wakes the claim loops that wait for a trial of this process to finish. */
export interface Wakeup {
  /** Resolves at the next {@link Wakeup.notify}. */
  next(): Promise<void>;
  /** Wakes every waiter. */
  notify(): void;
}

/** A {@link Wakeup}. */
export function createWakeup(): Wakeup {
  let wake: () => void = () => {};
  let changed = new Promise<void>((r) => {
    wake = r;
  });
  return {
    next: () => changed,
    notify() {
      wake();
      changed = new Promise<void>((r) => {
        wake = r;
      });
    },
  };
}

/** Options of {@link claimLoop}. */
export interface ClaimLoopOptions<C> {
  /** Claims a trial (see {@link claimTrial}). */
  claim(): Promise<C | 'wait' | undefined>;
  /** Runs a claimed trial; a rejection stops this loop (and, through `stopped`, the others). */
  run(claim: C): Promise<void>;
  /** True when no more trials may be claimed (an error, or the caller aborted). */
  stopped(): boolean;
  /** Receives the error that stopped this loop. */
  fail(err: unknown): void;
  /** Woken when a trial of this process finishes. */
  wakeup: Wakeup;
  /** How long to wait before claiming again when the store said `'wait'`, unless woken first. */
  pollMs: number;
}

/**
 * Claims and runs trials one after the other until the study is done or {@link ClaimLoopOptions.stopped}. Told to wait
 * (another trial must finish first: here, in another thread, or in another process), it wakes on a local finish or
 * polls the store every `pollMs`.
 */
export async function claimLoop<C>(o: ClaimLoopOptions<C>): Promise<void> {
  while (!o.stopped()) {
    const claimed = await o.claim();
    if (claimed === undefined) return;
    if (claimed === 'wait') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        o.wakeup.next(),
        new Promise<void>((r) => {
          timer = setTimeout(r, o.pollMs);
        }),
      ]);
      clearTimeout(timer);
      continue;
    }
    try {
      await o.run(claimed);
    } catch (err) {
      o.fail(err);
    }
  }
}
