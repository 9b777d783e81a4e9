import { hostname } from 'node:os';
import {
  createProgress,
  createTracker,
  MlopsError,
  type ObjectStore,
  type ProgressMode,
  type ProgressStream,
  type Run,
  type Store,
  type Tracker,
} from '@mlops/core';
import { z } from 'zod';
import { canonicalJson } from '../_internal/hash.js';
import { migratePipelines } from '../_internal/migrate.js';
import { rngFor } from '../_internal/rng.js';
import { parseInput } from '../_internal/validate.js';
import { type Observation, randomSample, type SampleFn, type TpeOptions, tpeSampler } from './samplers.js';
import { type Choice, checkSpace, type ParamsOf, type SearchSpace } from './space.js';

/** Median pruning (Optuna's `MedianPruner`): stop a trial whose best value so far is worse than the median of the finished trials at the same step. */
export interface MedianPrunerOptions {
  type: 'median';
  /**
   * Finished trials needed before any pruning.
   * @default 5
   */
  startupTrials?: number;
  /**
   * Steps of a trial before it can be pruned.
   * @default 0
   */
  warmupSteps?: number;
  /**
   * Finished trials that must have a value at the step for the median to count.
   * @default 1
   */
  minTrialsAtStep?: number;
}

/** Options of {@link createStudy}. */
export interface StudyOptions<S extends SearchSpace> {
  /** Where the study and its trials live (PostgreSQL for several processes). */
  store: Store;
  /** The study's name: workers with the same name share its trials. */
  name: string;
  /** The typed search space. */
  space: S;
  /**
   * Whether a smaller or a larger objective value is better.
   * @default 'minimize'
   */
  direction?: 'minimize' | 'maximize';
  /**
   * `'random'`, `'tpe'`, or TPE with settings.
   * @default 'tpe'
   */
  sampler?: 'random' | 'tpe' | ({ type: 'tpe' } & TpeOptions);
  /**
   * Seed: trial `n`'s draws depend only on the seed, `n` and (for TPE) the trials finished before it.
   * @default 0
   */
  seed?: number;
  /**
   * Pruner of hopeless trials.
   * @default undefined (no pruning)
   */
  pruner?: 'median' | MedianPrunerOptions;
  /**
   * Object store for trial artifacts (passed to the default tracker).
   * @default undefined
   */
  objects?: ObjectStore;
  /**
   * Tracker that records the runs.
   * @default createTracker({ store, objects }) (trial runs without the git capture: the study run has the commit)
   */
  tracker?: Tracker;
  /**
   * Experiment of the runs.
   * @default `study/<name>`
   */
  experiment?: string;
}

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
}

/** What the objective receives. */
export interface Trial<P> {
  /** 0, 1, 2…: unique within the study across every worker. */
  readonly number: number;
  /** The sampled params, typed by the search space. */
  readonly params: P;
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

/** Options of {@link Study.optimize}. */
export interface OptimizeOptions {
  /** The study's total trial budget: this call stops when the study (all workers together) has claimed this many. */
  trials: number;
  /**
   * Trials run concurrently by this call (async concurrency in this process, not worker threads).
   * @default 1
   */
  parallel?: number;
  /**
   * Record a throwing objective as a failed trial and go on (`true`), or stop and rethrow (`false`).
   * @default false
   */
  catchErrors?: boolean;
  /**
   * Name of this worker in the trial table.
   * @default `<hostname>:<pid>`
   */
  worker?: string;
  /**
   * Stops claiming new trials; running objectives see `trial.signal`.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Progress reporting (`'auto'`: terminal line or JSON lines).
   * @default 'auto'
   */
  progress?: ProgressMode;
  /**
   * Where progress goes.
   * @default process.stderr
   */
  stream?: ProgressStream;
}

/** What {@link Study.optimize} returns. */
export interface OptimizeResult<P> {
  /** The trials this call ran, by number. */
  trials: TrialRecord<P>[];
  /** The study's best complete trial so far (all workers). */
  best: TrialRecord<P> | undefined;
  /** This worker's study run. */
  runId: string;
}

/** A tuning study whose state lives in the store. */
export interface Study<S extends SearchSpace> {
  readonly name: string;
  readonly direction: 'minimize' | 'maximize';
  /** Runs trials until the study has `trials` of them; returns the ones this call ran and the best. */
  optimize(
    objective: (trial: Trial<ParamsOf<S>>) => Promise<number> | number,
    options: OptimizeOptions,
  ): Promise<OptimizeResult<ParamsOf<S>>>;
  /** Every trial of the study, by number. */
  trials(): Promise<TrialRecord<ParamsOf<S>>[]>;
  /** The complete trial with the best value (ties: the lowest number), if any. */
  bestTrial(): Promise<TrialRecord<ParamsOf<S>> | undefined>;
}

const PRUNED = Symbol.for('mlops.pipelines.pruned');

const studySchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$/, 'letters, digits, "_", "-", ".", ":", "/"'),
  direction: z.enum(['minimize', 'maximize']).default('minimize'),
  sampler: z
    .union([
      z.enum(['random', 'tpe']),
      z.strictObject({
        type: z.literal('tpe'),
        startupTrials: z.int().min(0).max(10_000).optional(),
        candidates: z.int().min(1).max(10_000).optional(),
        priorWeight: z.number().positive().optional(),
      }),
    ])
    .default('tpe'),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  pruner: z
    .union([
      z.literal('median'),
      z.strictObject({
        type: z.literal('median'),
        startupTrials: z.int().min(0).optional(),
        warmupSteps: z.int().min(0).optional(),
        minTrialsAtStep: z.int().min(1).optional(),
      }),
    ])
    .optional(),
  experiment: z.string().min(1).max(256).optional(),
});

const optimizeSchema = z.object({
  trials: z.int().min(1).max(1_000_000),
  parallel: z.int().min(1).max(256).default(1),
  catchErrors: z.boolean().default(false),
  worker: z.string().min(1).max(200).optional(),
});

interface TrialRow {
  number: number;
  status: TrialRecord['status'];
  params: Record<string, Choice>;
  value: number | string | null;
  run_id: string | null;
  worker: string;
  error: string | null;
}

const toRecord = <P>(r: TrialRow): TrialRecord<P> => ({
  number: Number(r.number),
  status: r.status,
  params: r.params as P,
  value: r.value === null ? null : Number(r.value),
  runId: r.run_id,
  worker: r.worker,
  error: r.error,
});

/**
 * Creates (or opens) a hyperparameter study: a seeded sampler over a typed search space, trials recorded as child
 * runs, median pruning, and its state in the store so that several processes can share it.
 *
 * @example
 * const study = await createStudy({ store, name: 'lr-search', space: { C: logUniform(1e-3, 1e3) }, direction: 'maximize', seed: 7 });
 * const { best } = await study.optimize(async ({ params }) => evaluate(params.C), { trials: 30 });
 */
export async function createStudy<S extends SearchSpace>(options: StudyOptions<S>): Promise<Study<S>> {
  const { store } = options;
  const o = parseInput(
    studySchema,
    { ...options, store: undefined, space: undefined, objects: undefined, tracker: undefined },
    'study',
  );
  const space = checkSpace(options.space);
  const pruner =
    o.pruner === undefined
      ? undefined
      : {
          startupTrials: 5,
          warmupSteps: 0,
          minTrialsAtStep: 1,
          ...(o.pruner === 'median' ? {} : o.pruner),
          type: 'median' as const,
        };
  const samplerSpec = o.sampler === 'random' ? { type: 'random' } : o.sampler === 'tpe' ? { type: 'tpe' } : o.sampler;
  const sample: SampleFn =
    samplerSpec.type === 'random' ? randomSample : tpeSampler(samplerSpec as TpeOptions & { type: 'tpe' });
  const experiment = o.experiment ?? `study/${o.name}`;
  await migratePipelines(store);
  const objectsOpt = options.objects ? { objects: options.objects } : {};
  const tracker = options.tracker ?? createTracker({ store, ...objectsOpt });
  // Trial runs skip the git capture (a subprocess per run); the study run has the commit.
  const trialTracker = options.tracker ?? createTracker({ store, ...objectsOpt, captureGit: false });

  // Every worker must agree on the definition: the first one writes it, the others check it.
  const definition = { direction: o.direction, sampler: samplerSpec, seed: o.seed, space, pruner: pruner ?? null };
  await store.query(
    `INSERT INTO pipelines_studies (name, direction, sampler, seed, space, pruner, experiment)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) ON CONFLICT (name) DO NOTHING`,
    [
      o.name,
      o.direction,
      canonicalJson(samplerSpec),
      o.seed,
      canonicalJson(space),
      pruner ? canonicalJson(pruner) : null,
      experiment,
    ],
  );
  const [row] = await store.query<{
    direction: string;
    sampler: string;
    seed: string | number;
    space: unknown;
    pruner: unknown;
  }>('SELECT direction, sampler, seed, space, pruner FROM pipelines_studies WHERE name = $1', [o.name]);
  const stored = {
    direction: row!.direction,
    sampler: JSON.parse(row!.sampler),
    seed: Number(row!.seed),
    space: row!.space,
    pruner: row!.pruner ?? null,
  };
  if (canonicalJson(stored) !== canonicalJson(definition)) {
    throw new MlopsError('CONFLICT', {
      message: `Study "${o.name}" exists with another definition (space, direction, sampler, seed or pruner)`,
      details: { name: o.name, stored, given: definition },
    });
  }

  const direction = o.direction;
  const better = (a: number, b: number) => (direction === 'minimize' ? a < b : a > b);

  const listTrials = async () =>
    (
      await store.query<TrialRow>(
        'SELECT number, status, params, value, run_id, worker, error FROM pipelines_trials WHERE study = $1 ORDER BY number',
        [o.name],
      )
    ).map((r) => toRecord<ParamsOf<S>>(r));

  const bestTrial = async () => {
    const rows = await store.query<TrialRow>(
      `SELECT number, status, params, value, run_id, worker, error FROM pipelines_trials
       WHERE study = $1 AND status = 'complete' AND value IS NOT NULL
       ORDER BY value ${direction === 'minimize' ? 'ASC' : 'DESC'}, number ASC LIMIT 1`,
      [o.name],
    );
    return rows[0] ? toRecord<ParamsOf<S>>(rows[0]) : undefined;
  };

  /** Claims the next trial number under a lock on the study row, or returns undefined when the budget is spent. */
  const claim = (budget: number, worker: string) =>
    store.transaction(async (tx) => {
      await tx.query('SELECT name FROM pipelines_studies WHERE name = $1 FOR UPDATE', [o.name]);
      const [c] = await tx.query<{ n: number | string; next: number | string }>(
        'SELECT count(*) AS n, coalesce(max(number) + 1, 0) AS next FROM pipelines_trials WHERE study = $1',
        [o.name],
      );
      if (Number(c!.n) >= budget) return undefined;
      const number = Number(c!.next);
      const history = (
        await tx.query<{ params: Record<string, Choice>; value: number | string }>(
          `SELECT params, value FROM pipelines_trials WHERE study = $1 AND status = 'complete' AND value IS NOT NULL
           ORDER BY number`,
          [o.name],
        )
      ).map((h): Observation => ({ params: h.params, value: Number(h.value) }));
      const params = sample(space, history, direction, rngFor(o.seed, number));
      await tx.query(
        `INSERT INTO pipelines_trials (study, number, status, params, worker) VALUES ($1, $2, 'running', $3::jsonb, $4)`,
        [o.name, number, JSON.stringify(params), worker],
      );
      return { number, params };
    });

  const shouldPrune = async (number: number, values: Map<number, number>): Promise<boolean> => {
    if (!pruner || values.size === 0) return false;
    const step = Math.max(...values.keys());
    if (step < pruner.warmupSteps) return false;
    const [done] = await store.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM pipelines_trials WHERE study = $1 AND status = 'complete'`,
      [o.name],
    );
    if (Number(done!.n) < pruner.startupTrials) return false;
    const [m] = await store.query<{ median: number | string | null; n: number | string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v.value) AS median, count(*) AS n
       FROM pipelines_trial_values v JOIN pipelines_trials t ON t.study = v.study AND t.number = v.number
       WHERE v.study = $1 AND v.step = $2 AND t.status = 'complete' AND v.number <> $3`,
      [o.name, step, number],
    );
    if (m!.median === null || Number(m!.n) < pruner.minTrialsAtStep) return false;
    let best = Number.NaN;
    for (const [s, v] of values) if (s <= step && (Number.isNaN(best) || better(v, best))) best = v;
    return better(Number(m!.median), best);
  };

  const optimize: Study<S>['optimize'] = async (objective, optimizeOptions) => {
    const oo = parseInput(
      optimizeSchema,
      {
        trials: optimizeOptions?.trials,
        parallel: optimizeOptions?.parallel,
        catchErrors: optimizeOptions?.catchErrors,
        worker: optimizeOptions?.worker,
      },
      'optimize options',
    );
    const worker = oo.worker ?? `${hostname()}:${process.pid}`;
    const signal = optimizeOptions.signal;
    const stream = optimizeOptions.stream ?? process.stderr;
    const progress = createProgress({
      label: `study ${o.name}`,
      total: oo.trials,
      stream,
      mode: optimizeOptions.progress ?? 'auto',
    });
    const studyRun = await tracker.startRun({
      experiment,
      name: `study ${o.name}`,
      params: { sampler: samplerSpec.type, seed: o.seed, direction, trials: oo.trials, parallel: oo.parallel },
      tags: { 'mlops.study': o.name, 'mlops.study.worker': worker },
    });
    const mine: TrialRecord<ParamsOf<S>>[] = [];
    let stop: unknown;

    const runTrial = async (number: number, params: ParamsOf<S>) => {
      const run = await trialTracker.startRun({
        parentRunId: studyRun.id,
        name: `trial ${number}`,
        params: params as Record<string, Choice>,
        tags: { 'mlops.study': o.name, 'mlops.trial': String(number) },
      });
      await store.query('UPDATE pipelines_trials SET run_id = $3 WHERE study = $1 AND number = $2', [
        o.name,
        number,
        run.id,
      ]);
      const values = new Map<number, number>();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const trial: Trial<ParamsOf<S>> = {
        number,
        params,
        run,
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
            [o.name, number, step, value],
          );
          await run.logMetric('intermediate', value, { step });
        },
        shouldPrune: () => shouldPrune(number, values),
        prune() {
          throw Object.assign(new Error(`trial ${number} pruned`), { [PRUNED]: true });
        },
      };
      const finish = async (status: TrialRecord['status'], value: number | null, error: string | null) => {
        await store.query(
          `UPDATE pipelines_trials SET status = $3, value = $4, error = $5, finished_at = now() WHERE study = $1 AND number = $2`,
          [o.name, number, status, value, error],
        );
        mine.push({ number, status, params, value, runId: run.id, worker, error });
        progress.tick();
      };
      try {
        const value = await objective(trial);
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new MlopsError('INVALID_INPUT', {
            message: `the objective returned ${String(value)}, not a finite number`,
          });
        }
        await run.logMetric('value', value);
        await run.setTag('mlops.trial.state', 'complete');
        await run.end();
        await finish('complete', value, null);
      } catch (err) {
        if ((err as Record<symbol, unknown>)?.[PRUNED]) {
          const last = values.size > 0 ? values.get(Math.max(...values.keys()))! : null;
          await run.setTag('mlops.trial.state', 'pruned');
          await run.end({ status: 'killed' });
          await finish('pruned', last, null);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        await run.setTag('mlops.trial.state', 'failed').catch(() => {});
        await run.end({ status: 'failed' }).catch(() => {});
        await finish('failed', null, message.slice(0, 8000));
        if (!oo.catchErrors) throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };

    const loop = async () => {
      while (stop === undefined && !signal?.aborted) {
        const claimed = await claim(oo.trials, worker);
        if (!claimed) return;
        try {
          await runTrial(claimed.number, claimed.params as ParamsOf<S>);
        } catch (err) {
          stop ??= err;
        }
      }
    };

    try {
      await Promise.all(Array.from({ length: oo.parallel }, loop));
    } catch (err) {
      stop ??= err;
    }
    const best = await bestTrial();
    if (best?.value !== null && best !== undefined) {
      await studyRun.logMetric('best_value', best.value!);
      await studyRun.setTags({
        'mlops.study.best_trial': String(best.number),
        ...(best.runId ? { 'mlops.study.best_run': best.runId } : {}),
      });
    }
    await studyRun.logMetric('trials_run', mine.length);
    if (stop !== undefined) {
      progress.fail(stop);
      await studyRun.end({ status: 'failed' }).catch(() => {});
      throw stop;
    }
    if (signal?.aborted) {
      progress.fail(new MlopsError('ABORTED', 'optimize was aborted'));
      await studyRun.end({ status: 'killed' });
      throw new MlopsError('ABORTED', { message: `optimize of study "${o.name}" was aborted`, cause: signal.reason });
    }
    progress.done({ trials: mine.length, ...(best ? { bestTrial: best.number, bestValue: best.value } : {}) });
    await studyRun.end();
    mine.sort((a, b) => a.number - b.number);
    return { trials: mine, best, runId: studyRun.id };
  };

  return { name: o.name, direction, optimize, trials: listTrials, bestTrial };
}

/** True when `err` is the signal thrown by `trial.prune()`. */
export function isPruned(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[PRUNED] === true;
}
