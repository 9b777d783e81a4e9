// Median pruning (Optuna's `MedianPruner`): is a trial's best value so far worse than the median of the finished
// trials at the same step?
import type { Store } from '@mlops/core';

/** The pruner's settings, defaults applied. */
export interface MedianPrunerSettings {
  startupTrials: number;
  warmupSteps: number;
  minTrialsAtStep: number;
}

/**
 * The check `trial.shouldPrune()` runs: false without a pruner, before `warmupSteps`, before `startupTrials` finished
 * trials, or with fewer than `minTrialsAtStep` finished trials at the trial's last step; else whether the median of
 * those is better than the trial's best value up to that step.
 */
export function medianPruneCheck(o: {
  store: Store;
  /** The study's name. */
  study: string;
  pruner: MedianPrunerSettings | undefined;
  better(a: number, b: number): boolean;
}): (number: number, values: ReadonlyMap<number, number>) => Promise<boolean> {
  const { store, study, pruner, better } = o;
  return async (number, values) => {
    if (!pruner || values.size === 0) return false;
    const step = Math.max(...values.keys());
    if (step < pruner.warmupSteps) return false;
    const [done] = await store.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM pipelines_trials WHERE study = $1 AND status = 'complete'`,
      [study],
    );
    if (Number(done!.n) < pruner.startupTrials) return false;
    const [m] = await store.query<{ median: number | string | null; n: number | string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v.value) AS median, count(*) AS n
       FROM pipelines_trial_values v JOIN pipelines_trials t ON t.study = v.study AND t.number = v.number
       WHERE v.study = $1 AND v.step = $2 AND t.status = 'complete' AND v.number <> $3`,
      [study, step, number],
    );
    if (m!.median === null || Number(m!.n) < pruner.minTrialsAtStep) return false;
    let best = Number.NaN;
    for (const [s, v] of values) if (s <= step && (Number.isNaN(best) || better(v, best))) best = v;
    return better(Number(m!.median), best);
  };
}
