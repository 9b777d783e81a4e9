import { invalidInput, zodIssues } from '@mlops/core';
import { z } from 'zod';
import type { Rng } from '../_internal/rng.js';

/** A value a categorical parameter can take. */
export type Choice = string | number | boolean | null;

/** A float parameter in `[low, high]`, uniform (or log-uniform with `log`), optionally on a grid of `step`. */
export interface FloatDistribution {
  type: 'float';
  low: number;
  high: number;
  /** Sample the logarithm uniformly (low must be > 0). @default false */
  log?: boolean;
  /** Quantisation step from `low` (not with `log`). @default undefined (continuous) */
  step?: number;
}

/** An integer parameter in `[low, high]` (inclusive), optionally log-scaled or on a grid of `step`. */
export interface IntDistribution {
  type: 'int';
  low: number;
  high: number;
  /** @default false */
  log?: boolean;
  /** @default 1 */
  step?: number;
}

/** A parameter taking one of `choices`. */
export interface CategoricalDistribution<C extends Choice = Choice> {
  type: 'categorical';
  choices: readonly C[];
}

/** One parameter's distribution. */
export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

/** A search space: parameter name → distribution. */
export type SearchSpace = Record<string, Distribution>;

/** The params a search space produces: numbers for float/int, the choices' union for categoricals. */
export type ParamsOf<S extends SearchSpace> = {
  [K in keyof S]: S[K] extends CategoricalDistribution<infer C> ? C : number;
};

/** A float parameter, uniform on `[low, high]`. */
export function floatParam(
  low: number,
  high: number,
  options: { log?: boolean; step?: number } = {},
): FloatDistribution {
  return { type: 'float', low, high, ...options };
}

/** A float parameter whose logarithm is uniform on `[log low, log high]` (learning rates, regularisation). */
export function logUniform(low: number, high: number): FloatDistribution {
  return { type: 'float', low, high, log: true };
}

/** An integer parameter on `[low, high]`, both inclusive. */
export function intParam(low: number, high: number, options: { log?: boolean; step?: number } = {}): IntDistribution {
  return { type: 'int', low, high, ...options };
}

/** A categorical parameter. */
export function categorical<const C extends Choice>(choices: readonly C[]): CategoricalDistribution<C> {
  return { type: 'categorical', choices };
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const distributionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('float'),
    low: finite,
    high: finite,
    log: z.boolean().optional(),
    step: finite.positive().optional(),
  }),
  z.strictObject({
    type: z.literal('int'),
    low: z.int(),
    high: z.int(),
    log: z.boolean().optional(),
    step: z.int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('categorical'),
    choices: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1),
  }),
]);

/** Schema of a search space (as stored with a study). */
export const searchSpaceSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, "_", "-", "."'), distributionSchema)
  .superRefine((space, ctx) => {
    if (Object.keys(space).length === 0) ctx.addIssue({ code: 'custom', message: 'the space has no parameters' });
    for (const [name, d] of Object.entries(space)) {
      if (d.type === 'categorical') continue;
      if (d.low > d.high) ctx.addIssue({ code: 'custom', path: [name, 'low'], message: 'low must be ≤ high' });
      if (d.log && d.low <= 0)
        ctx.addIssue({ code: 'custom', path: [name, 'low'], message: 'log scale needs low > 0' });
      if (d.log && d.step !== undefined && d.type === 'float') {
        ctx.addIssue({ code: 'custom', path: [name, 'step'], message: 'step and log cannot be combined' });
      }
    }
  });

/**
 * A numeric distribution as the samplers see it: an interval of the internal scale (the log for `log`, ±0.5 around
 * the ends for integers) and a function back to the parameter value.
 */
export interface NumericScale {
  low: number;
  high: number;
  toValue(internal: number): number;
  toInternal(value: number): number;
}

/** The internal scale of a float/int distribution. */
export function numericScale(d: FloatDistribution | IntDistribution): NumericScale {
  const step = d.type === 'int' ? (d.step ?? 1) : d.step;
  const quantise = (v: number) => {
    let x = Math.min(d.high, Math.max(d.low, v));
    if (step !== undefined) x = d.low + Math.round((x - d.low) / step) * step;
    if (x > d.high) x -= step ?? 0;
    return d.type === 'int' ? Math.round(x) : x;
  };
  if (d.log) {
    const pad = d.type === 'int' ? 0.5 : 0;
    const low = Math.log(d.low - pad > 0 ? d.low - pad : d.low);
    const high = Math.log(d.high + pad);
    return { low, high, toValue: (u) => quantise(Math.exp(u)), toInternal: (v) => Math.log(v) };
  }
  const pad = step !== undefined ? step / 2 : 0;
  return { low: d.low - pad, high: d.high + pad, toValue: quantise, toInternal: (v) => v };
}

/** One uniform draw from a distribution. */
export function sampleUniform(d: Distribution, rng: Rng): Choice {
  if (d.type === 'categorical') return d.choices[Math.min(d.choices.length - 1, Math.floor(rng() * d.choices.length))]!;
  const s = numericScale(d);
  return s.toValue(s.low + rng() * (s.high - s.low));
}

/** Validates a search space, throwing `INVALID_INPUT` with field paths. */
export function checkSpace(space: unknown): SearchSpace {
  const r = searchSpaceSchema.safeParse(space);
  if (!r.success) {
    throw invalidInput('invalid search space', zodIssues(r.error, 'space'));
  }
  return r.data as SearchSpace;
}
