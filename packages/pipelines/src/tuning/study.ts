import { hostname } from 'node:os';
import {
  createProgress,
  MlopsError,
  type ObjectStore,
  type ProgressMode,
  type ProgressStream,
  parseInput,
  type Store,
} from '@mlops/core';
import { createTracker, type Run, type Tracker } from '@mlops/core/tracking';
import { z } from 'zod';
import { canonicalJson } from '../_internal/hash.js';
import { migratePipelines } from '../_internal/migrate.js';
import { type ClaimSettings, claimLoop, claimTrial, createWakeup } from './claim.js';
import { type InflightTrial, startHeartbeat } from './heartbeat.js';
import { medianPruneCheck } from './pruner.js';
import { type Objective, PRUNED, runTrial, type TrialRunner, threadObjective } from './run-trial.js';
import { randomSample, type SampleFn, type TpeOptions, tpeSampler } from './samplers.js';
import { type Choice, checkSpace, type ParamsOf, type SearchSpace } from './space.js';
import { createThreadPool, type ObjectiveModule, type ThreadPool } from './threads.js';
import type { Trial, TrialRecord } from './types.js';

export type { Trial, TrialRecord } from './types.js';

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
   * `'random'`, `'tpe'`, or TPE with settings. With `batch: b`, trial n is modelled on the complete trials numbered
   * below n − (n mod b) only, and waits until those have finished: the sampled params then depend on the seed alone,
   * not on how many threads or processes run the study nor on which trial finished first.
   * @default 'tpe'
   */
  sampler?: 'random' | 'tpe' | ({ type: 'tpe'; batch?: number } & TpeOptions);
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

/** Options of {@link Study.optimize}. */
export interface OptimizeOptions {
  /** The study's total trial budget: this call stops when the study (all workers together) has claimed this many. */
  trials: number;
  /**
   * Trials run concurrently by this call with a function objective (async concurrency on this thread).
   * @default 1
   */
  parallel?: number;
  /**
   * Worker threads running a module objective ({@link ObjectiveModule}) concurrently; the coordinator (this thread)
   * claims and samples every trial and does all store access. Only with a module objective.
   * @default 1
   */
  threads?: number;
  /**
   * Record a throwing objective as a failed trial and go on (`true`), or stop and rethrow (`false`).
   * @default false for a function objective, true for a module objective (worker threads)
   */
  catchErrors?: boolean;
  /**
   * How long a claimed trial stays this worker's without a heartbeat; renewed every `leaseMs / 4`. A trial whose
   * lease expired (its process died) is claimed again by another worker. Keep it well above the longest stretch an
   * objective blocks the event loop (module objectives run in threads and never block it).
   * @default 60000
   */
  leaseMs?: number;
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
  /**
   * Runs trials until the study has `trials` of them and none is still running anywhere (reclaiming the trials of
   * dead workers); returns the ones this call ran and the best. The objective is a function (run on this thread) or
   * an {@link ObjectiveModule} (run in `threads` worker threads).
   */
  optimize(
    objective: ((trial: Trial<ParamsOf<S>>) => Promise<number> | number) | ObjectiveModule,
    options: OptimizeOptions,
  ): Promise<OptimizeResult<ParamsOf<S>>>;
  /** Every trial of the study, by number. */
  trials(): Promise<TrialRecord<ParamsOf<S>>[]>;
  /** The complete trial with the best value (ties: the lowest number), if any. */
  bestTrial(): Promise<TrialRecord<ParamsOf<S>> | undefined>;
}

const studySchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$/, 'letters, digits, "_", "-", ".", ":", "/"'),
  direction: z.enum(['minimize', 'maximize']).default('minimize'),
  sampler: z
    .union([
      z.enum(['random', 'tpe']),
      z.strictObject({
        type: z.literal('tpe'),
        batch: z.int().min(1).max(10_000).optional(),
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
  threads: z.int().min(1).max(256).optional(),
  catchErrors: z.boolean().optional(),
  worker: z.string().min(1).max(200).optional(),
  leaseMs: z
    .int()
    .min(100)
    .max(7 * 86_400_000)
    .default(60_000),
});

const objectiveModuleSchema = z.strictObject({
  module: z.union([z.string().min(1), z.instanceof(URL)]),
  export: z
    .string()
    .regex(/^[A-Za-z_$][\w$]*$/, 'an identifier')
    .optional(),
  workerData: z.unknown().optional(),
});

interface TrialRow {
  number: number;
  status: TrialRecord['status'];
  params: Record<string, Choice>;
  value: number | string | null;
  run_id: string | null;
  worker: string;
  error: string | null;
  attempt: number | string;
}

const toRecord = <P>(r: TrialRow): TrialRecord<P> => ({
  number: Number(r.number),
  status: r.status,
  params: r.params as P,
  value: r.value === null ? null : Number(r.value),
  runId: r.run_id,
  worker: r.worker,
  error: r.error,
  attempt: Number(r.attempt),
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
  const { batch, ...tpeOptions } = samplerSpec as TpeOptions & { type: string; batch?: number };
  const sample: SampleFn = samplerSpec.type === 'random' ? randomSample : tpeSampler(tpeOptions);
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
        'SELECT number, status, params, value, run_id, worker, error, attempt FROM pipelines_trials WHERE study = $1 ORDER BY number',
        [o.name],
      )
    ).map((r) => toRecord<ParamsOf<S>>(r));

  const bestTrial = async () => {
    const rows = await store.query<TrialRow>(
      `SELECT number, status, params, value, run_id, worker, error, attempt FROM pipelines_trials
       WHERE study = $1 AND status = 'complete' AND value IS NOT NULL
       ORDER BY value ${direction === 'minimize' ? 'ASC' : 'DESC'}, number ASC LIMIT 1`,
      [o.name],
    );
    return rows[0] ? toRecord<ParamsOf<S>>(rows[0]) : undefined;
  };

  const claimSettings: ClaimSettings = {
    store,
    study: o.name,
    space,
    direction,
    seed: o.seed,
    sample,
    ...(batch !== undefined ? { batch } : {}),
  };
  const shouldPrune = medianPruneCheck({ store, study: o.name, pruner, better });

  const optimize: Study<S>['optimize'] = async (objective, optimizeOptions) => {
    const oo = parseInput(
      optimizeSchema,
      {
        trials: optimizeOptions?.trials,
        parallel: optimizeOptions?.parallel,
        threads: optimizeOptions?.threads,
        catchErrors: optimizeOptions?.catchErrors,
        worker: optimizeOptions?.worker,
        leaseMs: optimizeOptions?.leaseMs,
      },
      'optimize options',
    );
    const moduleObjective =
      typeof objective === 'function' ? undefined : parseInput(objectiveModuleSchema, objective, 'objective');
    if (!moduleObjective && oo.threads !== undefined) {
      throw new MlopsError('INVALID_INPUT', {
        message: 'threads needs a module objective ({ module, export }): a function cannot cross threads',
        details: [{ path: 'threads', message: 'only with a module objective' }],
      });
    }
    if (moduleObjective && oo.parallel > 1) {
      throw new MlopsError('INVALID_INPUT', {
        message: 'with a module objective, set threads instead of parallel',
        details: [{ path: 'parallel', message: 'use threads' }],
      });
    }
    const concurrency = moduleObjective ? (oo.threads ?? 1) : oo.parallel;
    const catchErrors = oo.catchErrors ?? moduleObjective !== undefined;
    const worker = oo.worker ?? `${hostname()}:${process.pid}`;
    const signal = optimizeOptions.signal;
    const stream = optimizeOptions.stream ?? process.stderr;

    // Threads first: a module that cannot load fails the call before any trial is claimed.
    let pool: ThreadPool | undefined;
    if (moduleObjective) pool = await createThreadPool(moduleObjective as ObjectiveModule, concurrency);
    const run: Objective<ParamsOf<S>> = pool
      ? threadObjective(pool)
      : (objective as (trial: Trial<ParamsOf<S>>) => Promise<number> | number);

    const progress = createProgress({
      label: `study ${o.name}`,
      total: oo.trials,
      stream,
      mode: optimizeOptions.progress ?? 'auto',
    });
    let studyRun: Run;
    try {
      studyRun = await tracker.startRun({
        experiment,
        name: `study ${o.name}`,
        params: {
          sampler: samplerSpec.type,
          seed: o.seed,
          direction,
          trials: oo.trials,
          parallel: moduleObjective ? 1 : oo.parallel,
          threads: moduleObjective ? concurrency : 0,
        },
        tags: { 'mlops.study': o.name, 'mlops.study.worker': worker },
      });
    } catch (err) {
      await pool?.close();
      throw err;
    }
    const mine: TrialRecord<ParamsOf<S>>[] = [];
    let stop: unknown;

    // Trials in flight in this call, renewed by one heartbeat; a trial whose lease another worker took over (this
    // process was stalled past the lease) is aborted and its result discarded.
    const inflight = new Map<number, InflightTrial>();
    const wakeup = createWakeup();
    const heartbeat = startHeartbeat({ store, study: o.name, worker, leaseMs: oo.leaseMs, inflight });
    const runner: TrialRunner<ParamsOf<S>> = {
      store,
      study: o.name,
      worker,
      studyRunId: studyRun.id,
      tracker: trialTracker,
      objective: run,
      signal,
      catchErrors,
      inflight,
      shouldPrune,
      recorded(record) {
        mine.push(record);
        progress.tick();
      },
      settled: () => wakeup.notify(),
    };
    const loop = () =>
      claimLoop({
        claim: () =>
          claimTrial(claimSettings, { budget: oo.trials, worker, leaseMs: oo.leaseMs, mine: [...inflight.keys()] }),
        run: (claimed) => runTrial(runner, claimed),
        stopped: () => stop !== undefined || signal?.aborted === true,
        fail: (err) => {
          stop ??= err;
        },
        wakeup,
        pollMs: Math.min(1000, Math.max(25, Math.floor(oo.leaseMs / 4))),
      });

    try {
      await Promise.all(Array.from({ length: concurrency }, loop));
    } catch (err) {
      stop ??= err;
    } finally {
      heartbeat.stop();
      await pool?.close();
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
