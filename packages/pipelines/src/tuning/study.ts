import { hostname } from 'node:os';
import {
  createProgress,
  createTracker,
  MlopsError,
  type ObjectStore,
  type ProgressMode,
  type ProgressStream,
  parseInput,
  type Run,
  type Store,
  type Tracker,
} from '@mlops/core';
import { z } from 'zod';
import { canonicalJson } from '../_internal/hash.js';
import { migratePipelines } from '../_internal/migrate.js';
import { rngFor } from '../_internal/rng.js';
import { type Observation, randomSample, type SampleFn, type TpeOptions, tpeSampler } from './samplers.js';
import { type Choice, checkSpace, type ParamsOf, type SearchSpace } from './space.js';
import { createThreadPool, type ObjectiveModule, THREAD_PRUNED, type ThreadPool } from './threads.js';

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

const PRUNED = Symbol.for('mlops.pipelines.pruned');

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

  type Claim = { number: number; params: Record<string, Choice>; attempt: number; reclaimedFrom?: string };

  /**
   * Under a lock on the study row: reclaims a trial whose lease expired, or claims the next trial number and samples
   * its params. `'wait'` when the budget is spent but trials are still running (or, with a TPE batch, when the trials
   * the next one is modelled on have not finished); undefined when the study is done.
   */
  const claim = (budget: number, worker: string, leaseMs: number, mine: number[]) =>
    store.transaction(async (tx): Promise<Claim | 'wait' | undefined> => {
      await tx.query('SELECT name FROM pipelines_studies WHERE name = $1 FOR UPDATE', [o.name]);
      const lease = leaseMs / 1000;
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
        [o.name, JSON.stringify(mine)],
      );
      if (dead) {
        const attempt = Number(dead.attempt) + 1;
        await tx.query(
          `UPDATE pipelines_trials SET worker = $3, attempt = $4, run_id = NULL, started_at = now(), heartbeat_at = now(),
             lease_expires_at = now() + make_interval(secs => $5::double precision)
           WHERE study = $1 AND number = $2`,
          [o.name, dead.number, worker, attempt, lease],
        );
        await tx.query('DELETE FROM pipelines_trial_values WHERE study = $1 AND number = $2', [o.name, dead.number]);
        return { number: Number(dead.number), params: dead.params, attempt, reclaimedFrom: dead.worker };
      }
      const [c] = await tx.query<{ n: number | string; next: number | string; running: number | string }>(
        `SELECT count(*) AS n, coalesce(max(number) + 1, 0) AS next,
           count(*) FILTER (WHERE status = 'running' AND lease_expires_at IS NOT NULL) AS running
         FROM pipelines_trials WHERE study = $1`,
        [o.name],
      );
      if (Number(c!.n) >= budget) return Number(c!.running) > 0 ? 'wait' : undefined;
      const number = Number(c!.next);
      let below = number;
      if (batch !== undefined) {
        below = number - (number % batch);
        const [r] = await tx.query<{ n: number | string }>(
          `SELECT count(*) AS n FROM pipelines_trials WHERE study = $1 AND number < $2 AND status = 'running'`,
          [o.name, below],
        );
        if (Number(r!.n) > 0) return 'wait';
      }
      const history = (
        await tx.query<{ params: Record<string, Choice>; value: number | string }>(
          `SELECT params, value FROM pipelines_trials
           WHERE study = $1 AND status = 'complete' AND value IS NOT NULL AND number < $2
           ORDER BY number`,
          [o.name, below],
        )
      ).map((h): Observation => ({ params: h.params, value: Number(h.value) }));
      const params = sample(space, history, direction, rngFor(o.seed, number));
      await tx.query(
        `INSERT INTO pipelines_trials (study, number, status, params, worker, attempt, heartbeat_at, lease_expires_at)
         VALUES ($1, $2, 'running', $3::jsonb, $4, 1, now(), now() + make_interval(secs => $5::double precision))`,
        [o.name, number, JSON.stringify(params), worker, lease],
      );
      return { number, params, attempt: 1 };
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
    const run = pool
      ? async (trial: Trial<ParamsOf<S>>): Promise<number> => {
          try {
            return (await pool!.run({
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
        }
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

    // Trials in flight in this call, renewed by one heartbeat timer; a trial whose lease another worker took over
    // (this process was stalled past the lease) is aborted and its result discarded.
    const inflight = new Map<number, { attempt: number; controller: AbortController; finishing: boolean }>();
    let wake: () => void = () => {};
    let changed = new Promise<void>((r) => {
      wake = r;
    });
    const notify = () => {
      wake();
      changed = new Promise<void>((r) => {
        wake = r;
      });
    };
    let beating = false;
    const heartbeat = setInterval(
      async () => {
        if (beating || inflight.size === 0) return;
        beating = true;
        const checked = [...inflight.entries()];
        try {
          const rows = await store.query<{ number: number; attempt: number }>(
            `UPDATE pipelines_trials SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $3::double precision)
           WHERE study = $1 AND worker = $2 AND status = 'running' RETURNING number, attempt`,
            [o.name, worker, oo.leaseMs / 1000],
          );
          const held = new Set(rows.map((r) => `${r.number}:${r.attempt}`));
          for (const [number, entry] of checked) {
            if (inflight.get(number) !== entry || entry.finishing) continue;
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
      },
      Math.max(25, Math.floor(oo.leaseMs / 4)),
    );

    const runTrial = async ({ number, params: sampled, attempt }: Claim) => {
      const params = sampled as ParamsOf<S>;
      const controller = new AbortController();
      const entry = { attempt, controller, finishing: false };
      inflight.set(number, entry);
      const owned = `study = $1 AND number = $2 AND worker = $3 AND attempt = $4 AND status = 'running'`;
      const trialRun = await trialTracker.startRun({
        parentRunId: studyRun.id,
        name: attempt > 1 ? `trial ${number} (attempt ${attempt})` : `trial ${number}`,
        params: params as Record<string, Choice>,
        tags: { 'mlops.study': o.name, 'mlops.trial': String(number), 'mlops.trial.attempt': String(attempt) },
      });
      await store.query(`UPDATE pipelines_trials SET run_id = $5 WHERE ${owned}`, [
        o.name,
        number,
        worker,
        attempt,
        trialRun.id,
      ]);
      const values = new Map<number, number>();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const trial: Trial<ParamsOf<S>> = {
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
            [o.name, number, step, value],
          );
          await trialRun.logMetric('intermediate', value, { step });
        },
        shouldPrune: () => shouldPrune(number, values),
        prune() {
          throw Object.assign(new Error(`trial ${number} pruned`), { [PRUNED]: true });
        },
      };
      /** Records the outcome if the trial is still this worker's; false when its lease was lost meanwhile. */
      const finish = async (status: TrialRecord['status'], value: number | null, error: string | null) => {
        entry.finishing = true;
        const rows = await store.query(
          `UPDATE pipelines_trials SET status = $5, value = $6, error = $7, finished_at = now(), lease_expires_at = NULL
           WHERE ${owned} RETURNING number`,
          [o.name, number, worker, attempt, status, value, error],
        );
        if (rows.length === 0) {
          await trialRun.setTag('mlops.trial.state', 'lost').catch(() => {});
          await trialRun.end({ status: 'killed' }).catch(() => {});
          return false;
        }
        mine.push({ number, status, params, value, runId: trialRun.id, worker, error, attempt });
        progress.tick();
        return true;
      };
      try {
        const value = await run(trial);
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new MlopsError('INVALID_INPUT', {
            message: `the objective returned ${String(value)}, not a finite number`,
          });
        }
        await trialRun.logMetric('value', value);
        await trialRun.setTag('mlops.trial.state', 'complete');
        await trialRun.end();
        await finish('complete', value, null);
      } catch (err) {
        if ((err as Record<symbol, unknown>)?.[PRUNED]) {
          const last = values.size > 0 ? values.get(Math.max(...values.keys()))! : null;
          await trialRun.setTag('mlops.trial.state', 'pruned');
          await trialRun.end({ status: 'killed' });
          await finish('pruned', last, null);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        await trialRun.setTag('mlops.trial.state', 'failed').catch(() => {});
        await trialRun.end({ status: 'failed' }).catch(() => {});
        const recorded = await finish('failed', null, message.slice(0, 8000));
        if (recorded && !catchErrors) throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        inflight.delete(number);
        notify();
      }
    };

    const pollMs = Math.min(1000, Math.max(25, Math.floor(oo.leaseMs / 4)));
    const loop = async () => {
      while (stop === undefined && !signal?.aborted) {
        const claimed = await claim(oo.trials, worker, oo.leaseMs, [...inflight.keys()]);
        if (claimed === undefined) return;
        if (claimed === 'wait') {
          // Another trial must finish first (here, in another thread, or in another process): wake on a local
          // finish, or poll the store.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            changed,
            new Promise<void>((r) => {
              timer = setTimeout(r, pollMs);
            }),
          ]);
          clearTimeout(timer);
          continue;
        }
        try {
          await runTrial(claimed);
        } catch (err) {
          stop ??= err;
        }
      }
    };

    try {
      await Promise.all(Array.from({ length: concurrency }, loop));
    } catch (err) {
      stop ??= err;
    } finally {
      clearInterval(heartbeat);
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
