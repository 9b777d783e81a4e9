// The trial as the objective sees it and as the store keeps it (shared by the study and the trial runner).
import type { Run } from '@mlops/core/tracking';
import type { Choice } from './space.js';

/** A trial as stored. */
export interface TrialRecord<P = Record<string, Choice>> {
  number: number;
  status: 'running' | 'complete' | 'pruned' | 'failed';
  params: P;
  /** The objective value (complete), the last reported value (pruned), or null. */
  value: number | null;
  runId: string | null;
  worker: string;
  error: string | null;
  /** 1, or more when the trial was reclaimed from a worker whose lease expired. */
  attempt: number;
}

/** What the objective receives. */
export interface Trial<P> {
  /** 0, 1, 2…: unique within the study across every worker. */
  readonly number: number;
  /** The sampled params, typed by the search space. */
  readonly params: P;
  /** How many times this trial was claimed (> 1 when it was reclaimed from a worker that died). */
  readonly attempt: number;
  /** The trial's tracking run (a child of this worker's study run). */
  readonly run: Run;
  /** Aborted when `optimize` is aborted. */
  readonly signal: AbortSignal;
  /** Records an intermediate value (e.g. validation loss after an epoch) at a step: stored, and logged as a metric. */
  report(value: number, step: number): Promise<void>;
  /** True when the pruner says this trial is hopeless (call after `report`). */
  shouldPrune(): Promise<boolean>;
  /** Stops the trial as pruned (throws; let it propagate). */
  prune(): never;
}
