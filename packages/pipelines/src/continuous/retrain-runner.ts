import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isMlopsError, MlopsError, type ObjectStore, type Store } from '@mlops/core';
import {
  finishRetrainDecision,
  getRetrainDecision,
  type RetrainDecision,
  type RetrainDecisionStatus,
} from '@mlops/core/retrain-decisions';
import type { Registry } from '@mlops/registry';
import { migratePipelines } from '../_internal/migrate.js';
import { objectiveModuleHref } from '../tuning/threads.js';
import {
  type ContinuousTrainingPolicy,
  openRetrainDecision,
  type RetrainEvaluation,
  type RunOnceOptions,
} from './policy.js';
import { RETRAIN_WORKER_SOURCE } from './retrain-worker-source.js';

/**
 * What retrains one model:
 * - `{ module }`: a retrain config module (what `mlops retrain <config>` runs: it exports
 *   `createPolicy({ store, registry, objects })` returning a policy of `createContinuousTrainingPolicy`), run in a
 *   **worker thread**, off the serving event loop. The thread's store and object store forward their calls to the
 *   runner's `store` and `objects` (the serving process keeps the one PGlite connection, or its PostgreSQL pool).
 * - `{ policy }`: a policy built in this process, run on **this event loop** (tests, light models, a process that
 *   does nothing else).
 */
export type RetrainTarget =
  | {
      /** The config module: a `file:` URL, an absolute path, a path relative to the working directory, or a package. */
      module: string | URL;
      /**
       * The factory export, called with `{ store, registry, objects, model, alias }`.
       * @default 'createPolicy'
       */
      export?: string;
      /**
       * The alias the policy serves and promotes (the policy must say the same).
       * @default 'production'
       */
      alias?: string;
      /**
       * Passed to the thread as `workerData.data` (structured clone).
       * @default undefined
       */
      workerData?: unknown;
      /**
       * Environment variables of the thread, over this process's (a config module reads its settings from
       * `process.env`, like `deploy/retrain.config.mjs`).
       * @default undefined (this process's environment)
       */
      env?: Record<string, string>;
    }
  | { policy: ContinuousTrainingPolicy };

/** Options of {@link createRetrainRunner}. */
export interface RetrainRunnerOptions {
  /** The store of the prediction log, the registry and the decisions (the serving process's). */
  store: Store;
  /**
   * The object store of the model packages, handed to a config module's factory as `objects`.
   * @default undefined (the factory gets none)
   */
  objects?: ObjectStore;
  /**
   * The serving process's registry, handed to a config module's factory (its calls run on this thread): the
   * promotion of a retraining then reaches the server that follows the alias at once — on PGlite, where events do not
   * cross threads or processes, only this way. Methods taking functions (custom gate functions, `subscribe`) cannot
   * cross the thread boundary: use declarative gates.
   * @default undefined (the thread opens its own registry over the store: other registries catch its promotions up
   * from the audit log on PostgreSQL, and not at all on PGlite)
   */
  registry?: Registry;
  /** What retrains each model, by name, or a lookup (undefined: the model has no retraining, 404). */
  targets: Record<string, RetrainTarget> | ((model: string) => RetrainTarget | undefined);
  /**
   * Recorded as who asked when a start gives no principal.
   * @default 'continuous-training'
   */
  principal?: string;
}

/** Where a retraining stands: `pending` (accepted, the thread is loading), `running`, `done` (any recorded outcome but a failure), `failed` (failed or abandoned). */
export type RetrainJobStatus = 'pending' | 'running' | 'done' | 'failed';

/** A retraining as {@link RetrainRunner} reports it: its decision and where it stands. */
export interface RetrainStatus {
  decisionId: string;
  model: string;
  alias: string;
  status: RetrainJobStatus;
  /** The recorded decision (core's `core_retrain_decisions` row; `runId` links its tracked run). */
  decision: RetrainDecision;
}

/** Options of {@link RetrainRunner.start}. */
export interface RetrainStartOptions {
  /** Retrain whatever the triggers say (the reason is recorded). @default false */
  force?: boolean;
  /** Why. @default undefined */
  reason?: string;
  /** Who asked. @default the runner's principal */
  principal?: string;
  /** The trigger recorded with `reason` when forced. @default 'manual' */
  trigger?: 'manual' | 'alert';
}

/** Starts retrainings off the serving event loop, one per model alias at a time across the fleet. */
export interface RetrainRunner {
  /** The models that can be retrained, when `targets` is a record (undefined for a lookup). */
  readonly models: readonly string[] | undefined;
  /** True when `model` has a retrain target. */
  has(model: string): boolean;
  /**
   * Takes the model alias's retrain lock (a PostgreSQL advisory lock, fleet-wide; per process on PGlite), opens a
   * `running` decision and starts the retraining in the background; resolves at once with the decision (`pending`).
   * `NOT_FOUND` for a model without a target; `CONFLICT` with `details.decisionId` when one is already running.
   */
  start(model: string, options?: RetrainStartOptions): Promise<RetrainStatus>;
  /**
   * Only evaluates the model's triggers (the policy's `evaluate()`, in the thread for a config module): no lock, no
   * decision, no side effect. `NOT_FOUND` for a model without a target.
   */
  evaluate(model: string): Promise<RetrainEvaluation>;
  /** A decision of `model` by id (any process's), with where it stands; undefined when unknown. */
  get(model: string, decisionId: string): Promise<RetrainStatus | undefined>;
  /** Resolves once every retraining this runner started has finished (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Stops: running threads are terminated, their decisions recorded as `failed`, and their locks released. */
  close(): Promise<void>;
}

interface Job {
  decisionId: string;
  model: string;
  alias: string;
  state: 'pending' | 'running';
  done: Promise<void>;
  stop?: (reason: string) => Promise<void>;
}

const FAILED: readonly RetrainDecisionStatus[] = ['failed', 'abandoned'];
const statusOf = (d: RetrainDecision, local?: Job): RetrainJobStatus =>
  d.status === 'running' ? (local?.state ?? 'running') : FAILED.includes(d.status) ? 'failed' : 'done';

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface SerializedError {
  message: string;
  name: string;
  code?: string;
  stack?: string;
  details?: unknown;
  constraint?: string;
}

function serializeError(err: unknown): SerializedError {
  const e = err as { message?: unknown; name?: unknown; code?: unknown; details?: unknown; constraint?: unknown };
  const out: SerializedError = {
    message: String(e?.message ?? err),
    name: typeof e?.name === 'string' ? e.name : 'Error',
  };
  if (e?.code !== undefined) out.code = String(e.code);
  if (e?.constraint !== undefined) out.constraint = String(e.constraint);
  if (isMlopsError(err) && err.details !== undefined) out.details = JSON.parse(JSON.stringify(err.details));
  return out;
}

const ROLLBACK = Symbol('rollback');

/**
 * Serves a retrain thread's store and object-store calls on this thread: queries, transactions (held open for the
 * thread until it ends them, rolled back if the thread dies), migrations, and the object store's methods.
 */
function createRpcHost(store: Store, objects: ObjectStore | undefined, registry: Registry | undefined) {
  const txs = new Map<number, { tx: Store; finish: (commit: boolean) => void; done: Promise<void> }>();
  let nextTx = 0;
  const storeOf = (tx: unknown) => {
    if (tx === undefined || tx === null) return store;
    const t = txs.get(tx as number);
    if (!t) throw new MlopsError('INTERNAL', { message: `retrain thread: transaction ${String(tx)} is not open` });
    return t.tx;
  };
  const toBuffer = (v: unknown) =>
    v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
  const handle = async (target: string, method: string, args: unknown[], tx: unknown): Promise<unknown> => {
    if (target === 'store') {
      switch (method) {
        case 'query':
          return storeOf(tx).query(args[0] as string, ((args[1] as unknown[]) ?? []).map(toBuffer));
        case 'exec':
          return storeOf(tx).exec(args[0] as string);
        case 'migrate':
          return storeOf(tx).migrate(args[0] as string, args[1] as never);
        case 'begin':
          return new Promise<number>((resolveBegin, rejectBegin) => {
            const id = nextTx++;
            let started = false;
            const done = store
              .transaction(async (t) => {
                let finish!: (commit: boolean) => void;
                const decided = new Promise<boolean>((r) => {
                  finish = r;
                });
                txs.set(id, { tx: t, finish, done });
                started = true;
                resolveBegin(id);
                if (!(await decided)) throw ROLLBACK;
              })
              .catch((err: unknown) => {
                if (err !== ROLLBACK) throw err;
              })
              .finally(() => txs.delete(id));
            done.catch((err: unknown) => {
              if (!started) rejectBegin(err);
            });
          });
        case 'end': {
          const t = txs.get(args[0] as number);
          if (!t)
            throw new MlopsError('INTERNAL', { message: `retrain thread: transaction ${String(args[0])} is not open` });
          t.finish(args[1] === true);
          await t.done;
          return undefined;
        }
      }
    } else if (target === 'registry' && registry) {
      const fn = (registry as unknown as Record<string, unknown>)[method];
      if (method !== 'subscribe' && method !== 'close' && typeof fn === 'function') {
        return (fn as (...a: unknown[]) => Promise<unknown>).apply(registry, args);
      }
    } else if (target === 'objects' && objects) {
      switch (method) {
        case 'put':
          return objects.put(toBuffer(args[0]) as Buffer, args[1] as never);
        case 'readBytes':
          return objects.readBytes(args[0] as string);
        case 'has':
          return objects.has(args[0] as string);
        case 'stat':
          return objects.stat(args[0] as string);
        case 'delete':
          return objects.delete(args[0] as string);
        case 'list': {
          const all: string[] = [];
          for await (const d of objects.list()) all.push(d);
          return all;
        }
      }
    }
    throw new MlopsError('INTERNAL', { message: `retrain thread: unknown call ${target}.${method}` });
  };
  return {
    handle,
    /** Rolls back what a dead thread left open. */
    async abort() {
      for (const t of txs.values()) t.finish(false);
      await Promise.all([...txs.values()].map((t) => t.done.catch(() => undefined)));
    },
  };
}

const requireHere = createRequire(import.meta.url);

/**
 * The URL the thread imports a package of ours from. A TypeScript loader of this process (tsx with the repository's
 * tsconfig paths) may map the package to its sources, which the thread (no loader) cannot run: then the package's
 * built entry (`exports['.'].default`) is taken.
 */
function packageHref(specifier: string): string {
  const resolved = requireHere.resolve(specifier);
  if (!/\.[cm]?tsx?$/.test(resolved)) return pathToFileURL(resolved).href;
  let dir = dirname(resolved);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    main?: string;
    exports?: Record<string, { default?: string } | string>;
  };
  const root = pkg.exports?.['.'];
  const entry = (typeof root === 'string' ? root : root?.default) ?? pkg.main ?? 'index.js';
  return pathToFileURL(join(dir, entry)).href;
}

/**
 * Creates the runner behind `POST /v1/models/{name}/retrain` and the Alertmanager receiver: each start takes the
 * model alias's retrain lock, opens a decision (its id is the answer), and runs the continuous-training step in a
 * worker thread (a config module) — or on this loop (an in-process policy) — then records the outcome.
 *
 * @example
 * const runner = createRetrainRunner({ store, objects, targets: { 'it-tickets': { module: './deploy/retrain.config.mjs' } } });
 * const { decisionId } = await runner.start('it-tickets', { force: true, reason: 'new labels' });
 */
export function createRetrainRunner(options: RetrainRunnerOptions): RetrainRunner {
  const { store, objects } = options;
  const lookup =
    typeof options.targets === 'function'
      ? options.targets
      : (name: string) =>
          Object.hasOwn(options.targets, name) ? (options.targets as Record<string, RetrainTarget>)[name] : undefined;
  const jobs = new Map<string, Job>();
  let closed = false;

  const aliasOf = (t: RetrainTarget) => ('policy' in t ? t.policy.alias : (t.alias ?? 'production'));

  const runInThread = (
    t: Extract<RetrainTarget, { module: unknown }>,
    job: Pick<Job, 'model' | 'alias' | 'state'>,
    run: RunOnceOptions | 'evaluate',
  ): { done: Promise<unknown>; stop: (reason: string) => Promise<void> } => {
    const rpc = createRpcHost(store, objects, options.registry);
    const boot = {
      href: objectiveModuleHref(t.module),
      exportName: t.export ?? 'createPolicy',
      model: job.model,
      alias: job.alias,
      driver: store.driver,
      url: store.url,
      objectsName: objects ? objects.name : null,
      coreHref: packageHref('@mlops/core'),
      registryHref: packageHref('@mlops/registry'),
      registryProxy: options.registry !== undefined,
      mode: run === 'evaluate' ? 'evaluate' : 'run',
      run: run === 'evaluate' ? {} : run,
    };
    const worker = new Worker(RETRAIN_WORKER_SOURCE, {
      eval: true,
      workerData: { boot: JSON.parse(JSON.stringify(boot)), data: t.workerData },
      ...(t.env ? { env: { ...process.env, ...t.env } } : {}),
    });
    let stopped: string | undefined;
    const done = new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      worker.on('message', (m: Record<string, unknown>) => {
        if (m.type === 'rpc') {
          rpc.handle(m.target as string, m.method as string, (m.args as unknown[]) ?? [], m.tx).then(
            (value) => worker.postMessage({ type: 'rpc-reply', id: m.id, value }),
            (err: unknown) => worker.postMessage({ type: 'rpc-reply', id: m.id, error: serializeError(err) }),
          );
          return;
        }
        if (m.type === 'started') job.state = 'running';
        else if (m.type === 'done') settle(() => resolve(m.result));
        else if (m.type === 'error') {
          const e = m.error as SerializedError;
          settle(() =>
            reject(
              e.name === 'MlopsError' && e.code
                ? new MlopsError(e.code as never, { message: e.message })
                : new Error(e.message),
            ),
          );
        }
      });
      worker.on('error', (err) => settle(() => reject(err)));
      worker.on('exit', (code) =>
        settle(() =>
          stopped === undefined
            ? reject(new Error(`the retrain thread exited with code ${code} before recording an outcome`))
            : reject(new Error(stopped)),
        ),
      );
    }).finally(async () => {
      await worker.terminate().catch(() => undefined);
      await rpc.abort();
    });
    return {
      done,
      stop: async (reason) => {
        stopped = reason;
        await worker.terminate();
      },
    };
  };

  const targetOf = (model: string) => {
    const target = lookup(model);
    if (!target) {
      throw new MlopsError('NOT_FOUND', {
        message: `No retraining is configured for model "${model}"`,
        details: { model },
      });
    }
    return target;
  };

  const runner: RetrainRunner = {
    models: typeof options.targets === 'function' ? undefined : Object.keys(options.targets),
    has: (model) => lookup(model) !== undefined,
    async start(model, opts = {}) {
      if (closed) throw new MlopsError('ABORTED', { message: 'the retrain runner is closed' });
      const target = targetOf(model);
      const alias = aliasOf(target);
      await migratePipelines(store);
      const principal = opts.principal ?? options.principal ?? 'continuous-training';
      // CONFLICT (with details.decisionId) when a retraining of this model alias runs anywhere on the store.
      const opened = await openRetrainDecision(store, model, alias, principal);
      const decisionId = opened.decisionId;
      opened.lock.lost.catch((err: unknown) => {
        console.warn(
          `[mlops] retrain decision ${decisionId} of ${model}@${alias}: its lock's connection was lost (${errorMessage(err)}); another replica may start a retraining`,
        );
      });
      const run: RunOnceOptions = {
        decisionId,
        principal,
        ...(opts.force ? { force: true } : {}),
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(opts.trigger ? { trigger: opts.trigger } : {}),
      };
      const job: Job = { decisionId, model, alias, state: 'pending', done: Promise.resolve() };
      jobs.set(decisionId, job);
      const execute = async () => {
        try {
          if ('policy' in target) {
            job.state = 'running';
            await target.policy.runOnce(run);
            return;
          }
          const thread = runInThread(target, job, run);
          job.stop = thread.stop;
          await thread.done;
        } catch (err) {
          // The thread died or the config failed before the policy recorded an outcome: the decision says why.
          const current = await getRetrainDecision({ store, id: decisionId }).catch(() => undefined);
          if (current?.status === 'running') {
            await finishRetrainDecision({
              store,
              id: decisionId,
              status: 'failed',
              triggered: current.triggered,
              reasons: current.reasons,
              error: `retrain of ${model}@${alias} failed: ${errorMessage(err)}`.slice(0, 8000),
            }).catch((e: unknown) => {
              console.warn(`[mlops] retrain decision ${decisionId}: recording the failure failed: ${errorMessage(e)}`);
            });
          }
        } finally {
          jobs.delete(decisionId);
          await opened.release().catch(() => undefined);
        }
      };
      job.done = execute();
      const decision = await getRetrainDecision({ store, id: decisionId });
      return { decisionId, model, alias, status: decision ? statusOf(decision, job) : 'pending', decision: decision! };
    },
    async evaluate(model) {
      const target = targetOf(model);
      if ('policy' in target) return target.policy.evaluate();
      const job = { model, alias: aliasOf(target), state: 'pending' as const };
      return (await runInThread(target, job, 'evaluate').done) as RetrainEvaluation;
    },
    async get(model, decisionId) {
      if (!/^\d{1,18}$/.test(decisionId)) return undefined;
      const decision = await getRetrainDecision({ store, id: decisionId });
      if (!decision || decision.model !== model) return undefined;
      const local = jobs.get(decisionId);
      return { decisionId, model, alias: decision.alias, status: statusOf(decision, local), decision };
    },
    async idle() {
      while (jobs.size > 0) await Promise.all([...jobs.values()].map((j) => j.done));
    },
    async close() {
      closed = true;
      await Promise.all(
        [...jobs.values()].map(async (j) => {
          await j.stop?.('the server stopped while the retraining ran').catch(() => undefined);
          await j.done;
        }),
      );
    },
  };
  return runner;
}

/** True when `err` is the runner's "already running" answer. */
export function isRetrainConflict(err: unknown): err is MlopsError & { details: { decisionId: string | null } } {
  return (
    isMlopsError(err, 'CONFLICT') &&
    typeof err.details === 'object' &&
    err.details !== null &&
    'decisionId' in err.details
  );
}
