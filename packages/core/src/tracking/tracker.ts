import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { migrate as migrateAreas } from '../migrate.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';
import {
  createExperiment,
  type Experiment,
  type ExperimentInput,
  getExperiment,
  getOrCreateExperiment,
  listExperiments,
  setExperimentTags,
} from './experiments.js';
import {
  compareRunDetails,
  getMetricHistory,
  getRunDetails,
  loadRunDetails,
  type MetricPoint,
  markStale,
  type RunComparison,
  type RunDetails,
} from './queries.js';
import { createRunHandle, insertParams, type Run, upsertTags } from './run.js';
import {
  type EndStatus,
  keySchema,
  MAX_PARAM_VALUE_LENGTH,
  nameSchema,
  type ParamValue,
  paramText,
  paramValueSchema,
  tagValueSchema,
} from './schemas.js';
import { compileRunSearch, type OrderBy, type RunFilter, runFilterSchema, runSearchSchema } from './search.js';
import { captureGitInfo, captureSourceInfo, type GitInfo, type SourceInfo } from './source.js';

/** Options of {@link createTracker}. */
export interface TrackerOptions {
  /** Where experiments, runs, params, metrics and tags are kept. */
  store: Store;
  /**
   * Where artifacts are kept; without one, `logArtifact` fails with `UNSUPPORTED`.
   * @default undefined
   */
  objects?: ObjectStore;
  /**
   * Buffered metric values that trigger a write (one multi-row insert in a transaction).
   * @default 1000
   */
  batchSize?: number;
  /**
   * Buffered metrics are also written this often (milliseconds), so a slow loop still shows progress.
   * @default 1000
   */
  flushIntervalMs?: number;
  /**
   * A running run with nothing to write touches its `last_seen_at` this often (milliseconds), so that
   * `markStaleRuns` can tell a live run from one whose process died.
   * @default 30000
   */
  heartbeatIntervalMs?: number;
  /**
   * Directory whose git commit and dirty flag are captured at `startRun`, and against which the entry point is made relative.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * Capture the git commit and dirty flag at `startRun`.
   * @default true
   */
  captureGit?: boolean;
}

const trackerOptionsSchema = z.object({
  batchSize: z.number().int().min(1).max(100_000).default(1000),
  flushIntervalMs: z.number().int().min(10).default(1000),
  heartbeatIntervalMs: z.number().int().min(10).default(30_000),
  cwd: z.string().optional(),
  captureGit: z.boolean().default(true),
});

/** Options of {@link Tracker.startRun}. */
export interface StartRunOptions {
  /** Experiment name; created when missing. Optional for a child run (it inherits its parent's). */
  experiment?: string;
  /**
   * A human-readable run name.
   * @default undefined
   */
  name?: string;
  /**
   * The parent run of a nested run.
   * @default undefined
   */
  parentRunId?: string;
  /**
   * Params logged with the run's creation, in the same transaction.
   * @default {}
   */
  params?: Record<string, ParamValue>;
  /**
   * Tags set with the run's creation.
   * @default {}
   */
  tags?: Record<string, string>;
  /**
   * Directory whose git state is captured, overriding the tracker's `cwd`.
   * @default the tracker's cwd
   */
  gitDir?: string;
  /**
   * Overrides the captured entry point and user.
   * @default captured from process.argv[1] and the OS user
   */
  source?: Partial<SourceInfo>;
}

const startRunSchema = z
  .object({
    experiment: nameSchema.optional(),
    name: nameSchema.optional(),
    parentRunId: z.string().min(1).optional(),
    params: z.record(keySchema, paramValueSchema).optional(),
    tags: z.record(keySchema, tagValueSchema).optional(),
    gitDir: z.string().optional(),
    source: z
      .object({ entryPoint: z.string().nullable().optional(), user: z.string().nullable().optional() })
      .strict()
      .optional(),
  })
  .strict();

/** Options of {@link Tracker.searchRuns}. */
export interface SearchRunsOptions {
  /**
   * Experiment name (or id), or several; all experiments when omitted. An unknown name is `NOT_FOUND`.
   * @default undefined
   */
  experiment?: string | string[];
  /**
   * Conditions every returned run meets.
   * @default {}
   */
  filter?: RunFilter;
  /**
   * Sort keys, e.g. `{ metric: 'accuracy', direction: 'desc' }`; ties and the default: newest first.
   * @default start time, newest first
   */
  orderBy?: OrderBy | OrderBy[];
  /**
   * Most runs returned (1–10,000).
   * @default 100
   */
  limit?: number;
  /**
   * Runs skipped first (paging).
   * @default 0
   */
  offset?: number;
}

/** Options of {@link Tracker.bestRun}. */
export interface BestRunOptions {
  /**
   * Extra conditions. Without a `status` condition only `finished` runs compete.
   * @default { status: 'finished' }
   */
  filter?: RunFilter;
}

/** Experiment tracking (what MLflow tracking does) over a {@link Store} and an optional {@link ObjectStore}. */
export interface Tracker {
  /** Creates an experiment; `CONFLICT` when the name is taken. */
  createExperiment(input: ExperimentInput): Promise<Experiment>;
  /** Returns the experiment called `name`, creating it when missing. */
  getOrCreateExperiment(name: string, extra?: Omit<ExperimentInput, 'name'>): Promise<Experiment>;
  /** An experiment by name (or id); `NOT_FOUND` when missing. */
  getExperiment(nameOrId: string): Promise<Experiment>;
  /** Every experiment, by name. */
  listExperiments(): Promise<Experiment[]>;
  /** Adds or overwrites tags of an experiment. */
  setExperimentTags(nameOrId: string, tags: Record<string, string>): Promise<Experiment>;
  /** Starts a run (status `running`), capturing git commit, dirty flag, entry point and user. */
  startRun(options: StartRunOptions): Promise<Run>;
  /** Runs `fn` inside a new run, ending it `finished` when `fn` resolves and `failed` (then rethrowing) when it throws. */
  withRun<T>(options: StartRunOptions, fn: (run: Run) => Promise<T>): Promise<T>;
  /** A run with its params, latest metrics, tags, artifacts and datasets; `NOT_FOUND` when missing. */
  getRun(id: string): Promise<RunDetails>;
  /** Every value of one metric of a run, by step. */
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  /** Runs matching a typed filter, ordered and paged. */
  searchRuns(options?: SearchRunsOptions): Promise<RunDetails[]>;
  /** The run of an experiment with the highest (`max`) or lowest (`min`) latest value of `metric`, if any has it. */
  bestRun(
    experiment: string,
    metric: string,
    mode?: 'max' | 'min',
    options?: BestRunOptions,
  ): Promise<RunDetails | undefined>;
  /** Params and latest metrics of runs side by side. */
  compareRuns(ids: string[]): Promise<RunComparison>;
  /** Reads a run artifact into memory, verified against its digest. */
  readArtifact(runId: string, name: string): Promise<Buffer>;
  /** Streams a run artifact (verified as it flows: fails with `CHECKSUM_MISMATCH` at the end on bad bytes). */
  openArtifact(runId: string, name: string): Promise<Readable>;
  /** Runs that used a dataset version (lineage), newest first. */
  runsUsingDataset(version: string, options?: { name?: string }): Promise<RunDetails[]>;
  /** Marks `running` runs with no write or heartbeat for `olderThanMs` as `killed`; returns their ids. */
  markStaleRuns(options: { olderThanMs: number; experiment?: string }): Promise<string[]>;
  /** Ensures the tracking tables exist (every method calls it; call it early to fail fast). */
  migrate(): Promise<void>;
}

/**
 * Creates an experiment tracker: experiments, runs with params, batched metrics, tags, artifacts and dataset
 * versions, and search/compare over them.
 *
 * @example
 * const tracker = createTracker({ store: await createStore('memory://'), objects: fsObjectStore({ dir: '.mlops/objects' }) });
 * await tracker.withRun({ experiment: 'churn', params: { lr: 0.1 } }, async (run) => {
 *   await run.logMetric('accuracy', 0.93, { step: 1 });
 * });
 */
export function createTracker(options: TrackerOptions): Tracker {
  const { store, objects } = options;
  const o = parseInput(
    trackerOptionsSchema,
    {
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      cwd: options.cwd,
      captureGit: options.captureGit,
    },
    'tracker options',
  );
  const cwd = o.cwd ?? process.cwd();
  let ready: Promise<void> | undefined;
  const migrate = (): Promise<void> => {
    ready ??= (async () => {
      await migrateAreas(store, { areas: objects ? ['tracking', 'objects'] : ['tracking'] });
    })().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  const ctx = {
    store,
    objects,
    batchSize: o.batchSize,
    flushIntervalMs: o.flushIntervalMs,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
  };

  const resolveExperimentIds = async (e: string | string[] | undefined): Promise<string[] | undefined> => {
    if (e === undefined) return undefined;
    const names = Array.isArray(e) ? e : [e];
    return Promise.all(names.map(async (n) => (await getExperiment(store, n)).id));
  };

  const searchRuns = async (opts: SearchRunsOptions = {}): Promise<RunDetails[]> => {
    await migrate();
    const experimentIds = await resolveExperimentIds(opts.experiment);
    const search = parseInput(
      runSearchSchema,
      { experimentIds, filter: opts.filter, orderBy: opts.orderBy, limit: opts.limit, offset: opts.offset },
      'search',
    );
    const q = compileRunSearch(search);
    const ids = await store.query<{ id: string }>(q.sql, q.params);
    return loadRunDetails(
      store,
      ids.map((r) => r.id),
    );
  };

  const startRun = async (opts: StartRunOptions): Promise<Run> => {
    const s = parseInput(startRunSchema, opts, 'run');
    await migrate();
    let experimentId: string;
    if (s.parentRunId !== undefined) {
      const [parent] = await store.query<{ experiment_id: string }>(
        'SELECT experiment_id FROM core_runs WHERE id = $1',
        [s.parentRunId],
      );
      if (!parent) {
        throw new MlopsError('NOT_FOUND', {
          message: `Parent run ${s.parentRunId} not found`,
          details: { parentRunId: s.parentRunId },
        });
      }
      experimentId =
        s.experiment === undefined ? parent.experiment_id : (await getOrCreateExperiment(store, s.experiment)).id;
    } else if (s.experiment !== undefined) {
      experimentId = (await getOrCreateExperiment(store, s.experiment)).id;
    } else {
      throw new MlopsError('INVALID_INPUT', {
        message: 'startRun needs an experiment (or a parentRunId to inherit it from)',
        details: [{ path: 'run.experiment', message: 'Required' }],
      });
    }
    const params = Object.entries(s.params ?? {}).map(([k, v]) => {
      const text = paramText(v);
      if (text.length > MAX_PARAM_VALUE_LENGTH) {
        throw new MlopsError('INVALID_INPUT', {
          message: `Param "${k}" is ${text.length} characters long; the limit is ${MAX_PARAM_VALUE_LENGTH}`,
          details: [{ path: `run.params.${k}`, message: `at most ${MAX_PARAM_VALUE_LENGTH} characters` }],
        });
      }
      return [k, text, JSON.stringify(v)] as const;
    });
    const tags = Object.entries(s.tags ?? {});
    const git: GitInfo = o.captureGit ? await captureGitInfo(s.gitDir ?? cwd) : { commit: null, dirty: null };
    const captured = captureSourceInfo(cwd);
    const source: SourceInfo = {
      entryPoint: s.source?.entryPoint !== undefined ? s.source.entryPoint : captured.entryPoint,
      user: s.source?.user !== undefined ? s.source.user : captured.user,
    };
    const id = randomUUID();
    const startTime = new Date();
    await store.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO core_runs (id, experiment_id, parent_run_id, name, status, start_time, git_commit, git_dirty,
           source_entry_point, source_user)
         VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9)`,
        [
          id,
          experimentId,
          s.parentRunId ?? null,
          s.name ?? null,
          startTime,
          git.commit,
          git.dirty,
          source.entryPoint,
          source.user,
        ],
      );
      if (params.length > 0) {
        await insertParams(
          tx,
          id,
          params.map((p) => p[0]),
          params.map((p) => p[1]),
          params.map((p) => p[2]),
        );
      }
      if (tags.length > 0) {
        await upsertTags(
          tx,
          id,
          tags.map((t) => t[0]),
          tags.map((t) => t[1]),
        );
      }
    });
    return createRunHandle(ctx, {
      id,
      experimentId,
      name: s.name ?? null,
      parentRunId: s.parentRunId ?? null,
      startTime,
      git,
      source,
    });
  };

  const artifactDigest = async (runId: string, name: string): Promise<string> => {
    if (!objects) {
      throw new MlopsError('UNSUPPORTED', {
        message: 'This tracker has no object store: pass createTracker({ objects })',
      });
    }
    await migrate();
    const [row] = await store.query<{ digest: string }>(
      'SELECT digest FROM core_run_artifacts WHERE run_id = $1 AND name = $2',
      [runId, name],
    );
    if (!row) {
      throw new MlopsError('NOT_FOUND', {
        message: `Run ${runId} has no artifact "${name}"`,
        details: { runId, name },
      });
    }
    return row.digest;
  };

  return {
    async createExperiment(input) {
      await migrate();
      return createExperiment(store, input);
    },
    async getOrCreateExperiment(name, extra) {
      await migrate();
      return getOrCreateExperiment(store, name, extra);
    },
    async getExperiment(nameOrId) {
      await migrate();
      return getExperiment(store, nameOrId);
    },
    async listExperiments() {
      await migrate();
      return listExperiments(store);
    },
    async setExperimentTags(nameOrId, tags) {
      await migrate();
      return setExperimentTags(store, nameOrId, tags);
    },
    startRun,
    async withRun(opts, fn) {
      const run = await startRun(opts);
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(run);
      } catch (err) {
        if (run.status === 'running') {
          const status: EndStatus = 'failed';
          await run.end({ status }).catch(() => {});
        }
        throw err;
      }
      if (run.status === 'running') await run.end();
      return result;
    },
    async getRun(id) {
      await migrate();
      return getRunDetails(store, id);
    },
    async getMetricHistory(runId, key) {
      await migrate();
      return getMetricHistory(store, runId, key);
    },
    searchRuns,
    async bestRun(experiment, metric, mode = 'max', opts = {}) {
      parseInput(keySchema, metric, 'metric');
      parseInput(z.enum(['max', 'min']), mode, 'mode');
      const filter = parseInput(runFilterSchema, opts.filter ?? {}, 'filter');
      const cond = filter.metrics?.[metric];
      const metrics = {
        ...filter.metrics,
        [metric]: cond === undefined ? { exists: true } : cond,
      };
      const [best] = await searchRuns({
        experiment,
        filter: { status: 'finished', ...filter, metrics },
        orderBy: { metric, direction: mode === 'max' ? 'desc' : 'asc' },
        limit: 1,
      });
      return best;
    },
    async compareRuns(ids) {
      parseInput(z.array(z.string().min(1)).min(1).max(1000), ids, 'runIds');
      await migrate();
      return compareRunDetails(store, ids);
    },
    async readArtifact(runId, name) {
      const digest = await artifactDigest(runId, name);
      return objects!.readBytes(digest);
    },
    async openArtifact(runId, name) {
      const digest = await artifactDigest(runId, name);
      return objects!.get(digest);
    },
    async runsUsingDataset(version, opts = {}) {
      parseInput(z.string().min(1), version, 'version');
      await migrate();
      const rows = await store.query<{ id: string }>(
        `SELECT r.id FROM core_runs r WHERE EXISTS (
           SELECT 1 FROM core_run_datasets d WHERE d.run_id = r.id AND d.version = $1 AND ($2::text IS NULL OR d.name = $2))
         ORDER BY r.start_time DESC, r.id`,
        [version, opts.name ?? null],
      );
      return loadRunDetails(
        store,
        rows.map((r) => r.id),
      );
    },
    async markStaleRuns(opts) {
      const ms = parseInput(z.number().min(0), opts.olderThanMs, 'olderThanMs');
      await migrate();
      const experimentId = opts.experiment === undefined ? undefined : (await getExperiment(store, opts.experiment)).id;
      return markStale(store, ms, experimentId);
    },
    migrate,
  };
}
