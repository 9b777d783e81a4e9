import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MlopsError, parseInput } from '@mlops/core';
import { z } from 'zod';
import type { CliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import type { Output } from '../../output.js';
import { type ImportModule, isModuleNotFound, moduleSpecifier } from '../../plugins.js';

/**
 * A study config (`mlops tune <config>`): a JSON file, or a module whose export (default `default`) is this object or
 * a function returning it. `space`, `direction`, `sampler`, `seed`, `pruner` and `experiment` are `createStudy`'s
 * options of `@mlops/pipelines` (every worker of a study must give the same ones); `objective` is a module run in
 * worker threads, resolved against the config's folder.
 */
export const tuneConfigSchema = z.strictObject({
  /** The study's name: workers started with the same name (and store) share its trials. */
  name: z.string().min(1).optional(),
  /** The search space: parameter name → `{ type: 'float' | 'int' | 'categorical', … }`. */
  space: z.record(z.string(), z.unknown()),
  /** The objective: a module path (`./objective.mjs`) or `{ module, export, workerData }`. */
  objective: z.union([
    z.string().min(1),
    z.strictObject({
      module: z.string().min(1),
      export: z.string().min(1).optional(),
      workerData: z.unknown().optional(),
    }),
  ]),
  /** The study's total trial budget (all workers together). */
  trials: z.int().min(1).optional(),
  direction: z.enum(['minimize', 'maximize']).optional(),
  sampler: z.unknown().optional(),
  seed: z.int().min(0).optional(),
  pruner: z.unknown().optional(),
  experiment: z.string().min(1).optional(),
  /** Worker threads per process running the objective. */
  threads: z.int().min(1).optional(),
  /** Lease of a claimed trial in ms (a dead worker's trial is reclaimed after it). */
  leaseMs: z.int().min(100).optional(),
});

/** A value in a human line: numbers to 4 significant digits, strings as they are, anything else as JSON. */
function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** What a study config holds (see {@link tuneConfigSchema}). */
export type TuneConfig = z.infer<typeof tuneConfigSchema>;

/** Options of {@link tuneCommand}. */
export interface TuneCommandOptions {
  /** The study config: a `.json` file or a module (path or package). */
  config: string;
  /**
   * Export of a config module holding the config (an object, or a function returning one).
   * @default 'default'
   */
  export?: string;
  /**
   * The study's name, instead of the config's `name`.
   * @default the config's name
   */
  study?: string;
  /**
   * The study's total trial budget, instead of the config's `trials`.
   * @default the config's trials
   */
  trials?: number;
  /**
   * Worker threads of this process running the objective.
   * @default the config's threads, else 1
   */
  threads?: number;
  /**
   * Lease of a claimed trial in ms: a trial of a dead worker is claimed again once it expires.
   * @default the config's leaseMs, else 60000
   */
  leaseMs?: number;
  /**
   * This worker's name in the trial table.
   * @default `<hostname>:<pid>` (the pod name in Kubernetes)
   */
  worker?: string;
  /**
   * Signals that stop claiming trials (running ones finish or see their `signal`); the command then exits 130.
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
  /**
   * Loads a config module (tests pass a fake).
   * @default dynamic import
   */
  importModule?: ImportModule;
}

async function loadConfig(
  opts: TuneCommandOptions,
  cwd: string,
): Promise<{ config: TuneConfig; base: string | undefined }> {
  const notFound = (cause: unknown) =>
    new MlopsError('NOT_FOUND', {
      message: `Study config ${opts.config} not found`,
      details: { config: opts.config },
      cause,
    });
  let raw: unknown;
  let base: string | undefined;
  if (opts.config.endsWith('.json')) {
    const path = resolve(cwd, opts.config);
    base = dirname(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ENOENT') throw notFound(cause);
      throw cause;
    }
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new MlopsError('INVALID_INPUT', {
        message: `${opts.config} is not valid JSON: ${(cause as Error).message}`,
        details: [{ path: 'config', message: 'not JSON' }],
        cause,
      });
    }
  } else {
    const load = opts.importModule ?? ((s: string) => import(s));
    const specifier = moduleSpecifier(opts.config, cwd);
    if (specifier.startsWith('file:')) base = dirname(fileURLToPath(specifier));
    let mod: Record<string, unknown>;
    try {
      mod = (await load(specifier)) as Record<string, unknown>;
    } catch (cause) {
      const missing = specifier.startsWith('file:') ? fileURLToPath(specifier) : opts.config;
      if (!isModuleNotFound(cause, missing)) throw cause;
      throw notFound(cause);
    }
    const name = opts.export ?? 'default';
    if (!(name in mod)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `${opts.config} has no export "${name}" (expected the study config or a function returning it)`,
        details: [{ path: 'config', message: `missing export ${name}` }],
      });
    }
    const value = mod[name];
    raw = typeof value === 'function' ? await (value as () => unknown)() : value;
  }
  return { config: parseInput(tuneConfigSchema, raw, 'config'), base };
}

/** The objective module's specifier: a relative path is taken from the config's folder (else the working directory). */
function objectiveSpecifier(module: string, base: string | undefined, cwd: string): string {
  if (module.startsWith('file:')) return module;
  if (module.startsWith('.') || isAbsolute(module)) return pathToFileURL(resolve(base ?? cwd, module)).href;
  return module;
}

/**
 * `mlops tune <config>`: runs trials of a tuning study (`createStudy` of `@mlops/pipelines`) until the study has its
 * trial budget and no trial is still running anywhere. Several processes started with the same study name on one
 * PostgreSQL store share the study (a Kubernetes Indexed Job); a dead worker's trial is claimed again once its lease
 * expires. The objective runs in worker threads. Exit 0 when the study is done with a complete trial, 1 when none of
 * its trials completed, 2 for a bad config, 3 when the config is missing, 4 when the study exists with another
 * definition, 130 when stopped by a signal.
 */
export async function tuneCommand(opts: TuneCommandOptions, ctx: CliContext, out: Output): Promise<number> {
  const { config, base } = await loadConfig(opts, ctx.cwd);
  const name = opts.study ?? config.name;
  if (!name) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'No study name: set "name" in the config or pass --study <name>',
      details: [{ path: 'config.name', message: 'Required' }],
    });
  }
  const trials = opts.trials ?? config.trials;
  if (trials === undefined) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'No trial budget: set "trials" in the config or pass --trials <n>',
      details: [{ path: 'config.trials', message: 'Required' }],
    });
  }
  const objective = typeof config.objective === 'string' ? { module: config.objective } : config.objective;
  const { createStudy } = await import('@mlops/pipelines');
  const study = await createStudy({
    store: await ctx.store(),
    objects: ctx.objects(),
    name,
    // createStudy validates the space, sampler and pruner (INVALID_INPUT with their paths).
    space: config.space as never,
    ...(config.direction ? { direction: config.direction } : {}),
    ...(config.sampler !== undefined ? { sampler: config.sampler as never } : {}),
    ...(config.seed !== undefined ? { seed: config.seed } : {}),
    ...(config.pruner !== undefined ? { pruner: config.pruner as never } : {}),
    ...(config.experiment ? { experiment: config.experiment } : {}),
  });

  const abort = new AbortController();
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const stop = (signal: NodeJS.Signals) => {
    out.note(`${signal}: claiming no more trials; waiting for the running ones`);
    abort.abort(new MlopsError('ABORTED', `stopped by ${signal}`));
  };
  for (const s of signals) process.on(s, stop);
  let result: Awaited<ReturnType<typeof study.optimize>>;
  try {
    result = await study.optimize(
      {
        module: objectiveSpecifier(objective.module, base, ctx.cwd),
        ...(objective.export ? { export: objective.export } : {}),
        ...(objective.workerData !== undefined ? { workerData: objective.workerData } : {}),
      },
      {
        trials,
        threads: opts.threads ?? config.threads ?? 1,
        leaseMs: opts.leaseMs ?? config.leaseMs ?? 60_000,
        ...(opts.worker ? { worker: opts.worker } : {}),
        signal: abort.signal,
        stream: out.progress,
      },
    );
  } finally {
    for (const s of signals) process.off(s, stop);
  }
  const all = await study.trials();
  const count = (status: string) => all.filter((t) => t.status === status).length;
  const summary = {
    complete: count('complete'),
    pruned: count('pruned'),
    failed: count('failed'),
  };
  out.result(
    {
      study: name,
      direction: study.direction,
      runId: result.runId,
      trials: result.trials,
      studyTrials: { total: all.length, ...summary },
      best: result.best ?? null,
    },
    () =>
      [
        `study ${name}: ${all.length} trials (${summary.complete} complete, ${summary.pruned} pruned, ${summary.failed} failed); this worker ran ${result.trials.length}`,
        result.best
          ? `best: trial ${result.best.number}, value ${formatValue(result.best.value)} (${study.direction}), ${Object.entries(
              result.best.params,
            )
              .map(([k, v]) => `${k}=${formatValue(v)}`)
              .join(' ')}${result.best.runId ? `, run ${result.best.runId}` : ''}`
          : 'no complete trial',
      ].join('\n'),
  );
  return result.best ? EXIT_CODES.OK : EXIT_CODES.ERROR;
}
