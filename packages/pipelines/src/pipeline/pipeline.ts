import {
  backoffDelay,
  createProgress,
  isMlopsError,
  MlopsError,
  type ObjectStore,
  type Progress,
  type ProgressMode,
  type ProgressStream,
  type Store,
} from '@mlops/core';
import { createTracker, type Run, type Tracker } from '@mlops/core/tracking';
import { canonicalJson, sha256Hex } from '../_internal/hash.js';
import { migratePipelines } from '../_internal/migrate.js';
import { isParamRef, isStep, isStepRef, type Step, type StepContext, type StepLineage } from './step.js';

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  /** The pipeline's name (also the default experiment, `pipeline/<name>`). */
  name: string;
  /** The steps; steps they depend on are added even when not listed. Order only breaks ties. */
  // biome-ignore lint/suspicious/noExplicitAny: steps of any input/output types
  steps: Step<any, any>[];
}

/** Options of {@link Pipeline.run}. */
export interface PipelineRunOptions {
  /** Where the step cache and the tracking runs are kept. */
  store: Store;
  /** Where step outputs are kept (content-addressed). */
  objects: ObjectStore;
  /**
   * The tracker runs are recorded with.
   * @default createTracker({ store, objects }) (step runs without the git capture: the pipeline run has the commit)
   */
  tracker?: Tracker;
  /**
   * Experiment of the pipeline run.
   * @default `pipeline/<name>`
   */
  experiment?: string;
  /**
   * Values of the `param()` inputs; logged as params of the pipeline run.
   * @default {}
   */
  params?: Record<string, unknown>;
  /**
   * Re-run steps even when cached: `true` for all, or a list of step names.
   * @default false
   */
  force?: boolean | string[];
  /**
   * Tags of the pipeline run.
   * @default {}
   */
  tags?: Record<string, string>;
  /**
   * `'auto'`: a progress line on a terminal, JSON log lines otherwise (`MLOPS_PROGRESS` overrides).
   * @default 'auto'
   */
  progress?: ProgressMode;
  /**
   * Where progress and log lines go.
   * @default process.stderr
   */
  stream?: ProgressStream;
  /**
   * Aborts the run between steps and during retry backoff (the running step sees `ctx.signal`).
   * @default undefined
   */
  signal?: AbortSignal;
}

/** What happened to one step in a pipeline run. */
export interface StepResult {
  status: 'succeeded' | 'failed' | 'skipped';
  /** True when the output came from the cache and `run` was not called. */
  cached: boolean;
  /** The cache key: hash of the code version and the inputs' hashes. Absent for skipped steps. */
  cacheKey?: string;
  /** Digest of the stored output. */
  outputDigest?: string;
  /** The step's tracking run. */
  runId?: string;
  /** Attempts made (0 when cached or skipped). */
  attempts: number;
  durationMs: number;
  /** The error message of a failed step. */
  error?: string;
}

/** The result of {@link Pipeline.run}. A failed step does not throw: check `status` (or use `error`). */
export interface PipelineRunResult {
  status: 'succeeded' | 'failed';
  /** The pipeline's tracking run; step runs are its children. */
  runId: string;
  /** Per step, in execution order. */
  steps: Record<string, StepResult>;
  /** Outputs of the steps that succeeded (read back through their schemas). */
  outputs: Record<string, unknown>;
  /** The failed step, if any. */
  failedStep?: string;
  /** Its error. */
  error?: unknown;
}

/** A DAG of steps, validated (unique names, known references, no cycles) and topologically ordered. */
export interface Pipeline {
  readonly name: string;
  /** Step names in execution order. */
  readonly order: readonly string[];
  /** Runs every step in order, skipping the ones whose cache key has a stored output. */
  run(options: PipelineRunOptions): Promise<PipelineRunResult>;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function invalid(message: string, path: string, detail: string): MlopsError {
  return new MlopsError('INVALID_INPUT', { message, details: [{ path, message: detail }] });
}

function dependenciesOf(s: Step): string[] {
  const deps: string[] = [];
  for (const v of Object.values(s.inputs)) {
    if (isStep(v)) deps.push(v.name);
    else if (isStepRef(v)) deps.push(v.step);
  }
  return deps;
}

/** Finds one cycle among `names` (each with its deps) and returns it as a path `a → b → a`. */
function findCycle(byName: Map<string, Step>, names: string[]): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of dependenciesOf(byName.get(n)!)) {
      if (state.get(d) === 'open') return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of names) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c.reverse();
    }
  }
  return names;
}

/** Collects the steps (and, transitively, the step objects they use) and orders them topologically (Kahn). */
function orderSteps(name: string, steps: Step[]): { byName: Map<string, Step>; order: string[] } {
  const byName = new Map<string, Step>();
  const declared: string[] = [];
  const add = (s: Step, path: string) => {
    const seen = byName.get(s.name);
    if (seen) {
      if (seen !== s) {
        throw invalid(`Pipeline "${name}" has two different steps named "${s.name}"`, path, 'duplicate step name');
      }
      return;
    }
    byName.set(s.name, s);
    declared.push(s.name);
    for (const [k, v] of Object.entries(s.inputs)) if (isStep(v)) add(v, `steps.${s.name}.inputs.${k}`);
  };
  // Listed steps first (their order breaks ties), then the steps they pull in.
  steps.forEach((s, i) => {
    if (!isStep(s)) throw invalid(`steps[${i}] of pipeline "${name}" is not a step()`, `steps.${i}`, 'not a step');
    const seen = byName.get(s.name);
    if (seen && seen !== s) {
      throw invalid(
        `Pipeline "${name}" has two different steps named "${s.name}"`,
        `steps.${i}`,
        'duplicate step name',
      );
    }
    if (!seen) {
      byName.set(s.name, s);
      declared.push(s.name);
    }
  });
  for (const s of [...byName.values()]) {
    for (const [k, v] of Object.entries(s.inputs)) if (isStep(v)) add(v, `steps.${s.name}.inputs.${k}`);
  }
  for (const s of byName.values()) {
    for (const [k, v] of Object.entries(s.inputs)) {
      if (isStepRef(v) && !byName.has(v.step)) {
        throw invalid(
          `Step "${s.name}" of pipeline "${name}" uses the output of "${v.step}", which is not in the pipeline`,
          `steps.${s.name}.inputs.${k}`,
          `unknown step "${v.step}"`,
        );
      }
    }
  }
  const indegree = new Map(declared.map((n) => [n, 0]));
  const dependents = new Map<string, string[]>(declared.map((n) => [n, []]));
  for (const n of declared) {
    for (const d of new Set(dependenciesOf(byName.get(n)!))) {
      indegree.set(n, indegree.get(n)! + 1);
      dependents.get(d)!.push(n);
    }
  }
  const order: string[] = [];
  const ready = declared.filter((n) => indegree.get(n) === 0);
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const m of dependents.get(n)!) {
      indegree.set(m, indegree.get(m)! - 1);
      if (indegree.get(m) === 0) {
        // Keep declaration order among the steps that became ready.
        const at = ready.findIndex((r) => declared.indexOf(r) > declared.indexOf(m));
        ready.splice(at === -1 ? ready.length : at, 0, m);
      }
    }
  }
  if (order.length < declared.length) {
    const left = declared.filter((n) => !order.includes(n));
    const cycle = findCycle(byName, left);
    throw new MlopsError('INVALID_INPUT', {
      message: `Pipeline "${name}" has a cycle: ${cycle.join(' → ')}`,
      details: [{ path: 'steps', message: `cycle ${cycle.join(' → ')}` }],
    });
  }
  return { byName, order };
}

function resolveMode(mode: ProgressMode, stream: ProgressStream): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const env = process.env.MLOPS_PROGRESS;
  if (env === 'tty' || env === 'json' || env === 'silent') return env;
  return stream.isTTY ? 'tty' : 'json';
}

function errorInfo(err: unknown): { message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const aborted = () => new MlopsError('ABORTED', 'The pipeline run was aborted');

const defaultRetryOn = (err: unknown) => !isMlopsError(err, 'INVALID_INPUT') && !isMlopsError(err, 'ABORTED');

function paramText(v: unknown): string | number | boolean | null {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return canonicalJson(v);
}

interface CacheRow {
  output_digest: string;
  run_id: string | null;
  lineage: StepLineage;
}

/**
 * Composes steps into a DAG. Fails at once, with `INVALID_INPUT`, on duplicate names, unknown step references and
 * cycles (the message shows the cycle, `a → b → a`).
 *
 * @example
 * const p = pipeline({ name: 'churn', steps: [load, train] });
 * const result = await p.run({ store, objects });
 * console.log(result.steps.load.cached); // true on the second run
 */
export function pipeline(options: PipelineOptions): Pipeline {
  if (typeof options?.name !== 'string' || !NAME_RE.test(options.name)) {
    throw invalid(`invalid pipeline name "${String(options?.name)}"`, 'name', 'letters, digits, "_", "-", "."');
  }
  if (!Array.isArray(options.steps) || options.steps.length === 0) {
    throw invalid(`Pipeline "${options.name}" has no steps`, 'steps', 'at least one step');
  }
  const name = options.name;
  const { byName, order } = orderSteps(name, options.steps as Step[]);

  const run = async (o: PipelineRunOptions): Promise<PipelineRunResult> => {
    const { store, objects } = o;
    if (!store || !objects) throw invalid('pipeline.run needs { store, objects }', 'store', 'Required');
    await migratePipelines(store);
    const tracker = o.tracker ?? createTracker({ store, objects });
    // Step runs skip the git capture (a subprocess per run); the pipeline run has the commit.
    const stepTracker = o.tracker ?? createTracker({ store, objects, captureGit: false });
    const params = o.params ?? {};
    const force = o.force ?? false;
    const forced = (s: string) => force === true || (Array.isArray(force) && force.includes(s));
    const stream = o.stream ?? process.stderr;
    const mode = resolveMode(o.progress ?? 'auto', stream);
    const progress: Progress = createProgress({ label: `pipeline ${name}`, total: order.length, stream, mode });
    const log = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => {
      if (mode === 'json') {
        stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, pipeline: name, ...fields })}\n`);
      } else if (mode === 'tty') {
        const extra = Object.entries(fields)
          .filter(([k]) => k !== 'step')
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        stream.write(`\r\x1b[2K${fields.step ? `[${String(fields.step)}] ` : ''}${msg}${extra ? ` ${extra}` : ''}\n`);
      }
    };

    for (const s of order) {
      for (const v of Object.values(byName.get(s)!.inputs)) {
        if (isParamRef(v) && params[v.name] === undefined && v.default === undefined) {
          throw invalid(
            `Step "${s}" needs the param "${v.name}"; pass it in run({ params })`,
            `params.${v.name}`,
            'Required',
          );
        }
      }
    }

    const pipelineRun = await tracker.startRun({
      experiment: o.experiment ?? `pipeline/${name}`,
      name,
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)])),
      tags: { ...(o.tags ?? {}), 'mlops.pipeline': name, 'mlops.pipeline.steps': order.join(',') },
    });
    log('info', 'pipeline.start', { runId: pipelineRun.id, steps: order });

    const results: Record<string, StepResult> = {};
    const outputs: Record<string, unknown> = {};
    const digests = new Map<string, string>();

    const recordLineage = async (runs: Run[], lineage: StepLineage) => {
      for (const r of runs) {
        for (const d of lineage.datasets ?? []) await r.logDatasetVersion(d);
        if (lineage.model) {
          await r.setTags({
            'mlops.model.name': lineage.model.name,
            'mlops.model.version': String(lineage.model.version),
          });
        }
      }
    };

    let failed: { step: string; error: unknown } | undefined;
    for (const stepName of order) {
      const s = byName.get(stepName)!;
      if (failed) {
        results[stepName] = { status: 'skipped', cached: false, attempts: 0, durationMs: 0 };
        continue;
      }
      const started = Date.now();
      try {
        if (o.signal?.aborted) throw aborted();
        // Cache key: the code identity plus a hash per input (a step's output digest, a param's or literal's JSON).
        const inputHashes: Record<string, string> = {};
        const inputValues: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(s.inputs)) {
          if (isStep(v) || isStepRef(v)) {
            const dep = isStep(v) ? v.name : v.step;
            inputHashes[k] = `step:${digests.get(dep)!}`;
            inputValues[k] = outputs[dep];
          } else if (isParamRef(v)) {
            const value = params[v.name] ?? v.default;
            inputHashes[k] = `param:${sha256Hex(canonicalJson(value, `params.${v.name}`))}`;
            inputValues[k] = value;
          } else {
            inputHashes[k] = `literal:${sha256Hex(canonicalJson(v, `steps.${stepName}.inputs.${k}`))}`;
            inputValues[k] = v;
          }
        }
        const cacheKey = sha256Hex(canonicalJson({ step: stepName, code: s.codeHash, inputs: inputHashes }));
        const baseTags = {
          'mlops.pipeline': name,
          'mlops.step': stepName,
          'mlops.step.version': s.version,
          'mlops.cache_key': cacheKey,
        };

        let hit: CacheRow | undefined;
        if (s.cache && !forced(stepName)) {
          const [row] = await store.query<CacheRow>(
            'SELECT output_digest, run_id, lineage FROM pipelines_step_cache WHERE cache_key = $1',
            [cacheKey],
          );
          if (row && (await objects.has(row.output_digest))) hit = row;
        }

        if (hit) {
          const value = await readOutput(objects, hit.output_digest, s);
          const stepRun = await stepTracker.startRun({
            parentRunId: pipelineRun.id,
            name: stepName,
            tags: { ...baseTags, 'mlops.cached': 'true', ...(hit.run_id ? { 'mlops.cached_from': hit.run_id } : {}) },
          });
          await recordLineage([stepRun, pipelineRun], hit.lineage ?? {});
          await stepRun.end();
          digests.set(stepName, hit.output_digest);
          outputs[stepName] = value;
          results[stepName] = {
            status: 'succeeded',
            cached: true,
            cacheKey,
            outputDigest: hit.output_digest,
            runId: stepRun.id,
            attempts: 0,
            durationMs: Date.now() - started,
          };
          log('info', 'step.cached', { step: stepName, cached: true, cacheKey, runId: stepRun.id });
          progress.tick();
          continue;
        }

        const stepRun = await stepTracker.startRun({
          parentRunId: pipelineRun.id,
          name: stepName,
          params: { 'step.version': s.version },
          tags: { ...baseTags, 'mlops.cached': 'false' },
        });
        log('info', 'step.start', { step: stepName, cached: false, cacheKey, runId: stepRun.id });
        const lineage: StepLineage = {};
        const controller = new AbortController();
        const onAbort = () => controller.abort(o.signal?.reason);
        o.signal?.addEventListener('abort', onAbort, { once: true });
        const retryOn = s.retry.retryOn ?? defaultRetryOn;
        let attempt = 0;
        let value: unknown;
        let digest: string;
        try {
          for (;;) {
            attempt++;
            const ctx: StepContext = {
              pipeline: name,
              step: stepName,
              attempt,
              run: stepRun,
              store,
              objects,
              signal: controller.signal,
              lineage: async (l) => {
                if (l.datasets) lineage.datasets = [...(lineage.datasets ?? []), ...l.datasets];
                if (l.model) lineage.model = l.model;
                await recordLineage([stepRun, pipelineRun], l);
              },
              log: (message, fields = {}) => log('info', message, { step: stepName, ...fields }),
            };
            try {
              const raw = await s.run(inputValues as never, ctx);
              const json = canonicalJson(raw === undefined ? null : raw, `${stepName} output`);
              value = parseOutput(s, JSON.parse(json));
              digest = (await objects.put(json)).digest;
              break;
            } catch (err) {
              if (attempt > s.retry.retries || !retryOn(err) || controller.signal.aborted) throw err;
              const delay = backoffDelay(attempt - 1, s.retry.backoff);
              log('warn', 'step.retry', { step: stepName, attempt, delayMs: delay, error: errorInfo(err) });
              await sleep(delay, o.signal);
            }
          }
        } catch (err) {
          await stepRun.setTags({ 'mlops.error': errorInfo(err).message.slice(0, 8000) }).catch(() => {});
          await stepRun.logMetric('attempts', attempt).catch(() => {});
          await stepRun.end({ status: 'failed' }).catch(() => {});
          results[stepName] = {
            status: 'failed',
            cached: false,
            cacheKey,
            runId: stepRun.id,
            attempts: attempt,
            durationMs: Date.now() - started,
            error: errorInfo(err).message,
          };
          throw err;
        } finally {
          o.signal?.removeEventListener('abort', onAbort);
        }
        await store.query(
          `INSERT INTO pipelines_step_cache (cache_key, pipeline, step, step_version, output_digest, run_id, lineage)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
           ON CONFLICT (cache_key) DO UPDATE SET output_digest = EXCLUDED.output_digest, run_id = EXCLUDED.run_id,
             lineage = EXCLUDED.lineage, created_at = now()`,
          [cacheKey, name, stepName, s.version, digest!, stepRun.id, JSON.stringify(lineage)],
        );
        await stepRun.logMetric('attempts', attempt);
        await stepRun.setTags({ 'mlops.output_digest': digest! });
        await stepRun.end();
        digests.set(stepName, digest!);
        outputs[stepName] = value;
        results[stepName] = {
          status: 'succeeded',
          cached: false,
          cacheKey,
          outputDigest: digest!,
          runId: stepRun.id,
          attempts: attempt,
          durationMs: Date.now() - started,
        };
        log('info', 'step.end', { step: stepName, cached: false, attempts: attempt, durationMs: Date.now() - started });
        progress.tick();
      } catch (err) {
        failed = { step: stepName, error: err };
        results[stepName] ??= {
          status: 'failed',
          cached: false,
          attempts: 0,
          durationMs: Date.now() - started,
          error: errorInfo(err).message,
        };
        log('error', 'step.fail', { step: stepName, error: errorInfo(err) });
      }
    }

    if (failed) {
      progress.fail(failed.error);
      await pipelineRun.setTags({ 'mlops.failed_step': failed.step });
      await pipelineRun.end({ status: 'failed' });
      log('error', 'pipeline.fail', { runId: pipelineRun.id, failedStep: failed.step });
      return {
        status: 'failed',
        runId: pipelineRun.id,
        steps: results,
        outputs,
        failedStep: failed.step,
        error: failed.error,
      };
    }
    const cachedCount = Object.values(results).filter((r) => r.cached).length;
    progress.done({ steps: order.length, cached: cachedCount });
    await pipelineRun.logMetrics({ steps: order.length, cached_steps: cachedCount });
    await pipelineRun.end();
    log('info', 'pipeline.end', { runId: pipelineRun.id, cached: cachedCount, steps: order.length });
    return { status: 'succeeded', runId: pipelineRun.id, steps: results, outputs };
  };

  return { name, order, run };
}

function parseOutput(s: Step, json: unknown): unknown {
  if (!s.output) return json;
  const r = s.output.safeParse(json);
  if (!r.success) {
    const details = r.error.issues.map((i) => ({
      path: ['output', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    throw new MlopsError('INVALID_INPUT', {
      message: `Step "${s.name}" returned an output that does not match its schema: ${details
        .map((d) => `${d.path}: ${d.message}`)
        .join('; ')}`,
      details,
    });
  }
  return r.data;
}

async function readOutput(objects: ObjectStore, digest: string, s: Step): Promise<unknown> {
  const bytes = await objects.readBytes(digest);
  return parseOutput(s, JSON.parse(bytes.toString('utf8')));
}
