import type { Backoff, ObjectStore, Store } from '@mlops/core';
import { MlopsError, parseInput } from '@mlops/core';
import type { Run } from '@mlops/core/tracking';
import { z } from 'zod';
import { sha256Hex } from '../_internal/hash.js';

const KIND = Symbol.for('mlops.pipelines.kind');

/** A reference to another step's output by name (for forward references; a step object works as well). */
export interface StepRef<T = unknown> {
  readonly [KIND]: 'step-ref';
  readonly step: string;
  /** Type carrier only; never set. */
  readonly __output?: T;
}

/** A reference to a pipeline run parameter (`pipeline.run({ params })`), part of the cache key of the steps using it. */
export interface ParamRef<T = unknown> {
  readonly [KIND]: 'param';
  readonly name: string;
  readonly default: T | undefined;
}

/** Retries of a failing step, with exponential backoff and jitter (core's `backoffDelay`). */
export interface RetryOptions {
  /**
   * Extra attempts after the first failure.
   * @default 0
   */
  retries?: number;
  /**
   * Backoff between attempts: retry `n` (from 0) waits between half and all of `min(maxMs, initialMs · factor^n)`.
   * Fields left out take their defaults: `initialMs` 1000, `maxMs` 30_000, `factor` 2.
   * @default { initialMs: 1000, maxMs: 30_000, factor: 2 }
   */
  backoff?: Partial<Backoff>;
  /**
   * Decides whether an error is worth retrying.
   * @default every error except `INVALID_INPUT` and `ABORTED`
   */
  retryOn?: (err: unknown) => boolean;
}

/** What a model version or dataset version a step produced or used, recorded on its run and its pipeline's run. */
export interface StepLineage {
  /** Dataset versions the step read, e.g. `{ name: 'tickets', version: 'sha256:…', role: 'train' }`. */
  datasets?: { name: string; version: string; role?: string }[];
  /** The model version the step registered. */
  model?: { name: string; version: number | string };
}

/** What a step's `run` receives besides its inputs. */
export interface StepContext {
  /** The pipeline's name. */
  pipeline: string;
  /** This step's name. */
  step: string;
  /** 1 on the first attempt, 2 on the first retry… */
  attempt: number;
  /** This execution's tracking run (a child of the pipeline run): log params, metrics and artifacts to it. */
  run: Run;
  /** The store the pipeline runs against. */
  store: Store;
  /** The object store outputs are kept in; steps may put their own blobs (model packages) there. */
  objects: ObjectStore;
  /** Aborted when the pipeline run is aborted. */
  signal: AbortSignal;
  /** Records lineage on this step's run and the pipeline run; replayed on the runs of later cache hits. */
  lineage(lineage: StepLineage): Promise<void>;
  /** Writes one structured log line (JSON mode) or a line above the progress bar (terminal). */
  log(message: string, fields?: Record<string, unknown>): void;
}

/** Resolved type of one input: a step's output, a param's value, or the literal itself. */
export type InputValue<X> =
  X extends Step<infer _I, infer O> ? O : X extends StepRef<infer T> ? T : X extends ParamRef<infer T> ? T : X;

/** The `inputs` object a step's `run` receives. */
export type StepInputs<I> = { [K in keyof I]: InputValue<I[K]> };

/** Options of {@link step}. */
export interface StepOptions<I extends Record<string, unknown>, O, R = O> {
  /** Unique within a pipeline: letters, digits, `_`, `-`, `.`. */
  name: string;
  /** The step's code version: change it when the code changes, and the cache no longer matches. */
  version: string;
  /**
   * Named inputs: other steps (or `stepOutput('name')`), `param('name')`, or literal JSON values.
   * @default {}
   */
  inputs?: I;
  /**
   * Schema of the output. The output is stored as JSON and read back through this schema, on a fresh run and on a
   * cache hit alike, so downstream steps always see the same value.
   * @default undefined (plain JSON, not validated)
   */
  output?: z.ZodType<O, R>;
  /**
   * Also hash the source text of `run` into the cache key, so an edited function misses the cache even if
   * `version` was not bumped.
   * @default false
   */
  hashSource?: boolean;
  /**
   * Use the cache for this step.
   * @default true
   */
  cache?: boolean;
  /**
   * Retries on failure: a count or {@link RetryOptions}.
   * @default 0
   */
  retries?: number | RetryOptions;
  /** The work: receives the resolved inputs and a {@link StepContext}; returns a JSON-serialisable output. */
  run: (inputs: StepInputs<I>, ctx: StepContext) => Promise<R> | R;
}

/** A typed, versioned unit of work of a pipeline (see {@link step}). */
export interface Step<I extends Record<string, unknown> = Record<string, unknown>, O = unknown> {
  readonly [KIND]: 'step';
  readonly name: string;
  readonly version: string;
  readonly inputs: I;
  readonly output: z.ZodType<O, unknown> | undefined;
  /** Hash of the code identity: the version, plus the source text of `run` when `hashSource` is on. */
  readonly codeHash: string;
  readonly cache: boolean;
  readonly retry: { retries: number; backoff: Backoff } & Pick<RetryOptions, 'retryOn'>;
  readonly run: (inputs: StepInputs<I>, ctx: StepContext) => unknown;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const retrySchema = z.strictObject({
  retries: z.int().min(0).max(100).default(0),
  backoff: z
    .strictObject({
      initialMs: z.number().min(0).max(3_600_000).default(1000),
      maxMs: z.number().min(0).max(3_600_000).default(30_000),
      factor: z.number().min(1).max(10).default(2),
    })
    .default({ initialMs: 1000, maxMs: 30_000, factor: 2 }),
  retryOn: z.custom<(err: unknown) => boolean>((v) => typeof v === 'function').optional(),
});

const stepSchema = z.object({
  name: z.string().regex(NAME_RE, 'letters, digits, "_", "-", "." (at most 128, starting with a letter or digit)'),
  version: z.string().min(1).max(256),
  inputs: z.record(z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'an identifier'), z.unknown()).default({}),
  output: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'a zod schema').optional(),
  hashSource: z.boolean().default(false),
  cache: z.boolean().default(true),
  retries: z.union([z.int().min(0).max(100), retrySchema]).default(0),
  run: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'a function'),
});

/**
 * Defines a pipeline step: a named, versioned function of typed inputs whose JSON output is cached by the hash of
 * its code version and its inputs.
 *
 * @example
 * const load = step({ name: 'load', version: '1', run: async () => ({ rows: [1, 2, 3] }) });
 * const total = step({ name: 'total', version: '1', inputs: { data: load }, run: ({ data }) => data.rows.length });
 */
export function step<I extends Record<string, unknown> = Record<string, never>, R = unknown, O = R>(
  options: StepOptions<I, O, R>,
): Step<I, O> {
  const o = parseInput(stepSchema, options, 'step');
  const retry = typeof o.retries === 'number' ? retrySchema.parse({ retries: o.retries }) : o.retries;
  const code = o.hashSource ? `${o.version}\n${options.run.toString()}` : o.version;
  return Object.freeze({
    [KIND]: 'step' as const,
    name: o.name,
    version: o.version,
    inputs: (options.inputs ?? {}) as I,
    output: options.output as z.ZodType<O, unknown> | undefined,
    codeHash: sha256Hex(code),
    cache: o.cache,
    retry,
    run: options.run as Step<I, O>['run'],
  });
}

/** References the output of the step called `name` (for steps declared later in the file). */
export function stepOutput<T = unknown>(name: string): StepRef<T> {
  if (!NAME_RE.test(name)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid step name "${name}"`,
      details: [{ path: 'name', message: 'not a step name' }],
    });
  }
  return Object.freeze({ [KIND]: 'step-ref' as const, step: name });
}

/** References a run parameter; `defaultValue` is used when the run does not give it. */
export function param<T = unknown>(name: string, defaultValue?: T): ParamRef<T> {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid param name "${name}"`,
      details: [{ path: 'name', message: 'letters, digits, "_", "-", "."' }],
    });
  }
  return Object.freeze({ [KIND]: 'param' as const, name, default: defaultValue });
}

/** True when `v` is a step made by {@link step}. */
export function isStep(v: unknown): v is Step {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[KIND] === 'step';
}

/** True when `v` is a {@link StepRef}. */
export function isStepRef(v: unknown): v is StepRef {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[KIND] === 'step-ref';
}

/** True when `v` is a {@link ParamRef}. */
export function isParamRef(v: unknown): v is ParamRef {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[KIND] === 'param';
}
