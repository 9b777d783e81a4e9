// Running one claimed trial: its tracking run, the `Trial` the objective receives (intermediate values, pruning,
// abort), and its outcome recorded only while the trial is still this worker's.
import { MlopsError, type Store } from '@mlops/core';
import type { Tracker } from '@mlops/core/tracking';
import type { Claim } from './claim.js';
import type { InflightTrial } from './heartbeat.js';
import type { Choice } from './space.js';
import { THREAD_PRUNED, type ThreadPool } from './threads.js';
import type { Trial, TrialRecord } from './types.js';

/** Thrown by `trial.prune()`. */
export const PRUNED = Symbol.for('mlops.pipelines.pruned');

/** An objective run on this thread. */
export type Objective<P> = (trial: Trial<P>) => Promise<number> | number;

/** What {@link runTrial} needs from its optimize call. */
export interface TrialRunner<P> {
  store: Store;
  /** The study's name. */
  study: string;
  worker: string;
  /** This optimize call's study run: trial runs are its children. */
  studyRunId: string;
  /** Records the trial runs. */
  tracker: Tracker;
  objective: Objective<P>;
  /** The caller's abort signal: aborts every running trial. */
  signal?: AbortSignal | undefined;
  /** Record a throwing objective as a failed trial and resolve (true), or reject with its error (false). */
  catchErrors: boolean;
  /** Trials in flight in this call: the trial is in it while it runs (the heartbeat reads it). */
  inflight: Map<number, InflightTrial>;
  /** The pruner's verdict on a trial from its intermediate values. */
  shouldPrune(number: number, values: ReadonlyMap<number, number>): Promise<boolean>;
  /** Receives every outcome this worker recorded (the trial was still its own). */
  recorded(record: TrialRecord<P>): void;
  /** Called when the trial has settled, recorded or not. */
  settled(): void;
}

/**
 * Runs one claimed trial: starts its run, calls the objective, and records `complete`, `pruned` or `failed` — unless
 * another worker took the trial over meanwhile (its lease was lost), in which case the run is marked lost and nothing
 * is recorded. A failed objective rejects unless `catchErrors`.
 */
export async function runTrial<P>(r: TrialRunner<P>, claim: Claim): Promise<void> {
  const { store, study, worker, signal } = r;
  const { number, attempt } = claim;
  const params = claim.params as P;
  const controller = new AbortController();
  const entry: InflightTrial = { attempt, controller, finishing: false };
  r.inflight.set(number, entry);
  const owned = `study = $1 AND number = $2 AND worker = $3 AND attempt = $4 AND status = 'running'`;
  const trialRun = await r.tracker.startRun({
    parentRunId: r.studyRunId,
    name: attempt > 1 ? `trial ${number} (attempt ${attempt})` : `trial ${number}`,
    params: params as Record<string, Choice>,
    tags: { 'mlops.study': study, 'mlops.trial': String(number), 'mlops.trial.attempt': String(attempt) },
  });
  await store.query(`UPDATE pipelines_trials SET run_id = $5 WHERE ${owned}`, [
    study,
    number,
    worker,
    attempt,
    trialRun.id,
  ]);
  const values = new Map<number, number>();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const trial: Trial<P> = {
    number,
    params,
    attempt,
    run: trialRun,
    signal: controller.signal,
    async report(value, step) {
      if (!Number.isFinite(value) || !Number.isInteger(step) || step < 0) {
        throw new MlopsError('INVALID_INPUT', {
          message: `trial.report(value, step) needs a finite value and a step ≥ 0; got ${value}, ${step}`,
        });
      }
      values.set(step, value);
      await store.query(
        `INSERT INTO pipelines_trial_values (study, number, step, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (study, number, step) DO UPDATE SET value = EXCLUDED.value`,
        [study, number, step, value],
      );
      await trialRun.logMetric('intermediate', value, { step });
    },
    shouldPrune: () => r.shouldPrune(number, values),
    prune() {
      throw Object.assign(new Error(`trial ${number} pruned`), { [PRUNED]: true });
    },
  };
  // The outcome is stored first, and only while the trial is still this worker's; its run is ended after, with the
  // outcome's state, or marked `lost` when another worker took the trial over meanwhile (an ended run takes no tags).
  /** Stores the outcome if the trial is still this worker's; false when its lease was lost meanwhile. */
  const record = async (status: TrialRecord['status'], value: number | null, error: string | null) => {
    entry.finishing = true;
    const rows = await store.query(
      `UPDATE pipelines_trials SET status = $5, value = $6, error = $7, finished_at = now(), lease_expires_at = NULL
       WHERE ${owned} RETURNING number`,
      [study, number, worker, attempt, status, value, error],
    );
    return rows.length > 0;
  };
  /** Ends the run of a trial whose result is discarded. */
  const discard = async () => {
    await trialRun.setTag('mlops.trial.state', 'lost').catch(() => {});
    await trialRun.end({ status: 'killed' }).catch(() => {});
  };
  const recorded = (status: TrialRecord['status'], value: number | null, error: string | null) =>
    r.recorded({ number, status, params, value, runId: trialRun.id, worker, error, attempt });
  try {
    const value = await r.objective(trial);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `the objective returned ${String(value)}, not a finite number`,
      });
    }
    await trialRun.logMetric('value', value);
    if (!(await record('complete', value, null))) return await discard();
    await trialRun.setTag('mlops.trial.state', 'complete');
    await trialRun.end();
    recorded('complete', value, null);
  } catch (err) {
    if ((err as Record<symbol, unknown>)?.[PRUNED]) {
      const last = values.size > 0 ? values.get(Math.max(...values.keys()))! : null;
      if (!(await record('pruned', last, null))) return await discard();
      await trialRun.setTag('mlops.trial.state', 'pruned');
      await trialRun.end({ status: 'killed' });
      recorded('pruned', last, null);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    const error = message.slice(0, 8000);
    if (!(await record('failed', null, error))) return await discard();
    await trialRun.setTag('mlops.trial.state', 'failed').catch(() => {});
    await trialRun.end({ status: 'failed' }).catch(() => {});
    recorded('failed', null, error);
    if (!r.catchErrors) throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    r.inflight.delete(number);
    r.settled();
  }
}

/** The objective of a thread pool: the trial goes to an idle thread, its store access stays here. */
export function threadObjective<P>(pool: ThreadPool): Objective<P> {
  return async (trial) => {
    try {
      return (await pool.run({
        number: trial.number,
        params: trial.params as Record<string, Choice>,
        signal: trial.signal,
        report: (v, s) => trial.report(v, s),
        shouldPrune: () => trial.shouldPrune(),
        logMetric: (k, v, s) => trial.run.logMetric(k, v, s === undefined ? {} : { step: s }),
        setTag: (k, v) => trial.run.setTag(k, v),
      })) as number;
    } catch (err) {
      if ((err as Record<symbol, unknown>)?.[THREAD_PRUNED]) trial.prune();
      throw err;
    }
  };
}
