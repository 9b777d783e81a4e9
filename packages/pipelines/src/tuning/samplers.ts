import { normal, type Rng } from '../_internal/rng.js';
import { type Choice, type Distribution, numericScale, type SearchSpace, sampleUniform } from './space.js';

/** A finished trial as the samplers see it. */
export interface Observation {
  params: Record<string, Choice>;
  /** The objective value. */
  value: number;
}

/** TPE settings (Optuna's defaults). */
export interface TpeOptions {
  /**
   * Trials sampled at random before TPE starts modelling.
   * @default 10
   */
  startupTrials?: number;
  /**
   * Candidates drawn from the "good" density, of which the one with the best good/bad ratio is kept.
   * @default 24
   */
  candidates?: number;
  /**
   * Weight of the prior (the whole range) in each Parzen estimator.
   * @default 1
   */
  priorWeight?: number;
}

/** Samples one trial's params, given the finished trials so far; `rng` is seeded per trial. */
export type SampleFn = (
  space: SearchSpace,
  history: readonly Observation[],
  direction: 'minimize' | 'maximize',
  rng: Rng,
) => Record<string, Choice>;

/** Random search: every parameter drawn independently and uniformly (on its log scale for `log`). */
export function randomSample(
  space: SearchSpace,
  _h: readonly Observation[],
  _d: string,
  rng: Rng,
): Record<string, Choice> {
  const out: Record<string, Choice> = {};
  for (const name of Object.keys(space).sort()) out[name] = sampleUniform(space[name]!, rng);
  return out;
}

// Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, error < 1.5e-7).
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
}

/** A truncated Gaussian mixture over [low, high]: one component per observation plus a wide prior (Optuna's TPE). */
function parzen(obs: number[], low: number, high: number, priorWeight: number): Parzen {
  const range = high - low || 1;
  const prior = (low + high) / 2;
  const mus = [...obs, prior];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sorted = order.map((i) => mus[i]!);
  const sigmas = new Array<number>(mus.length);
  const minSigma = range / Math.min(100, 1 + mus.length);
  order.forEach((idx, k) => {
    // Optuna without `consider_endpoints`: the gap to the nearest neighbours, not to the bounds.
    const left = k > 0 ? sorted[k]! - sorted[k - 1]! : 0;
    const right = k < sorted.length - 1 ? sorted[k + 1]! - sorted[k]! : 0;
    sigmas[idx] = Math.min(range, Math.max(minSigma, left, right));
  });
  sigmas[mus.length - 1] = range; // the prior component spans the whole range
  const weights = [...obs.map(() => 1), priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  return { mus, sigmas, weights: weights.map((w) => w / total) };
}

function parzenLogPdf(p: Parzen, x: number, low: number, high: number): number {
  let s = 0;
  for (let i = 0; i < p.mus.length; i++) {
    const mu = p.mus[i]!;
    const sd = p.sigmas[i]!;
    const mass = phi((high - mu) / sd) - phi((low - mu) / sd);
    const z = (x - mu) / sd;
    s += (p.weights[i]! * Math.exp(-0.5 * z * z)) / (sd * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(s, 1e-300));
}

function parzenSample(p: Parzen, low: number, high: number, rng: Rng): number {
  let u = rng();
  let i = 0;
  while (i < p.weights.length - 1 && u >= p.weights[i]!) {
    u -= p.weights[i]!;
    i++;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const x = p.mus[i]! + p.sigmas[i]! * normal(rng);
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, p.mus[i]!));
}

/** Splits finished trials into the best `gamma(n) = min(ceil(0.1·n), 25)` and the rest. */
function split(history: readonly Observation[], direction: 'minimize' | 'maximize') {
  const sorted = [...history].sort((a, b) => (direction === 'minimize' ? a.value - b.value : b.value - a.value));
  const nBelow = Math.min(Math.ceil(0.1 * sorted.length), 25);
  return { below: sorted.slice(0, nBelow), above: sorted.slice(nBelow) };
}

function tpeNumeric(
  d: Exclude<Distribution, { type: 'categorical' }>,
  below: number[],
  above: number[],
  o: Required<TpeOptions>,
  rng: Rng,
): number {
  const s = numericScale(d);
  const l = parzen(below.map(s.toInternal), s.low, s.high, o.priorWeight);
  const g = parzen(above.map(s.toInternal), s.low, s.high, o.priorWeight);
  let best = Number.NEGATIVE_INFINITY;
  let pick = s.low;
  for (let c = 0; c < o.candidates; c++) {
    const x = parzenSample(l, s.low, s.high, rng);
    const score = parzenLogPdf(l, x, s.low, s.high) - parzenLogPdf(g, x, s.low, s.high);
    if (score > best) {
      best = score;
      pick = x;
    }
  }
  return s.toValue(pick);
}

function tpeCategorical(
  choices: readonly Choice[],
  below: Choice[],
  above: Choice[],
  o: Required<TpeOptions>,
  rng: Rng,
) {
  const weights = (obs: Choice[]) => {
    const w = choices.map(() => o.priorWeight / choices.length);
    for (const v of obs) {
      const i = choices.indexOf(v);
      if (i >= 0) w[i]! += 1;
    }
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / total);
  };
  const l = weights(below);
  const g = weights(above);
  let best = Number.NEGATIVE_INFINITY;
  let pick = 0;
  for (let c = 0; c < o.candidates; c++) {
    let u = rng();
    let i = 0;
    while (i < l.length - 1 && u >= l[i]!) {
      u -= l[i]!;
      i++;
    }
    const score = Math.log(l[i]!) - Math.log(g[i]!);
    if (score > best) {
      best = score;
      pick = i;
    }
  }
  return choices[pick]!;
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al., 2011, as Optuna implements it, univariate): after
 * `startupTrials` random trials, the finished trials are split into the best γ(n) and the rest; each parameter gets
 * a Parzen density per group, and of `candidates` draws from the "good" density the one maximising
 * l(x)/g(x) is kept.
 */
export function tpeSampler(options: TpeOptions = {}): SampleFn {
  const o: Required<TpeOptions> = { startupTrials: 10, candidates: 24, priorWeight: 1, ...options };
  return (space, history, direction, rng) => {
    if (history.length < o.startupTrials) return randomSample(space, history, direction, rng);
    const { below, above } = split(history, direction);
    const out: Record<string, Choice> = {};
    for (const name of Object.keys(space).sort()) {
      const d = space[name]!;
      const b = below.map((h) => h.params[name]).filter((v) => v !== undefined) as Choice[];
      const a = above.map((h) => h.params[name]).filter((v) => v !== undefined) as Choice[];
      out[name] =
        d.type === 'categorical'
          ? tpeCategorical(d.choices, b, a, o, rng)
          : tpeNumeric(d, b as number[], a as number[], o, rng);
    }
    return out;
  };
}
