import { z } from 'zod';
import { binnedShares, countPerCategory, evidentlyFloor, toShares } from './_internal/binning.js';
import { parseOptions } from './_internal/options.js';
import {
  type CategoricalSample,
  cleanCategoricalPair,
  cleanPair,
  type DroppedCounts,
  type NumericSample,
} from './clean-sample.js';

/** Options shared by the binned divergences. */
export const divergenceOptionsSchema = z.strictObject({
  /**
   * Numeric samples: 'sturges' = Evidently 0.7 get_binned_data (one bin per value when the reference has at most
   * 20 distinct values, else numpy's Sturges bins over both samples); a number = that many equal-width bins over
   * both samples. Ignored for categorical samples (one bin per category).
   * @default 'sturges'
   */
  bins: z.union([z.literal('sturges'), z.number().int().min(1).max(1_000_000)]).default('sturges'),
  /**
   * Treat the samples as 'numeric' or 'categorical'; 'auto' = categorical when any value is a string or boolean.
   * @default 'auto'
   */
  kind: z.enum(['auto', 'numeric', 'categorical']).default('auto'),
  /**
   * Logarithm base for Jensen–Shannon and KL (Evidently and scipy default to e; base 2 bounds JS by 1).
   * @default Math.E
   */
  base: z
    .number()
    .positive()
    .refine((b) => b !== 1, 'must not be 1 (its logarithm is 0)')
    .optional(),
});

/** Options of the binned divergences ({@link jensenShannonDistance}, {@link klDivergence}, …). */
export type DivergenceOptions = z.input<typeof divergenceOptionsSchema>;

/** A sample for the divergences: numbers (binned) or category labels (counted). */
export type DivergenceSample = NumericSample | CategoricalSample;

/** A divergence value with the dropped-missing counts. */
export interface DivergenceResult {
  /** The divergence or distance. */
  value: number;
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

function isCategorical(s: DivergenceSample): boolean {
  if (s instanceof Float64Array || s instanceof Float32Array) return false;
  for (let i = 0; i < s.length; i++) {
    const t = typeof s[i];
    if (t === 'string' || t === 'boolean') return true;
  }
  return false;
}

/** Raw (unfloored) shares of both samples over the bins/categories the options select. */
export function divergenceShares(
  reference: DivergenceSample,
  current: DivergenceSample,
  options: DivergenceOptions | undefined,
  test: string,
): { ref: Float64Array; cur: Float64Array; dropped: DroppedCounts; base: number | undefined } {
  const opts = parseOptions(divergenceOptionsSchema, options, test);
  const categorical =
    opts.kind === 'categorical' || (opts.kind === 'auto' && (isCategorical(reference) || isCategorical(current)));
  if (categorical) {
    const { ref, cur, dropped } = cleanCategoricalPair(reference, current, test);
    const c = countPerCategory(ref, cur);
    return { ref: toShares(c.ref, ref.length), cur: toShares(c.cur, cur.length), dropped, base: opts.base };
  }
  const { ref, cur, dropped } = cleanPair(reference as NumericSample, current as NumericSample, test);
  const b = binnedShares(ref, cur, opts.bins);
  return { ref: b.ref, cur: b.cur, dropped, base: opts.base };
}

function normalized(p: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i]! / s;
  return out;
}

/** scipy.special.rel_entr. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

/** Jensen–Shannon distance (like Evidently) with the dropped counts: value in [0, √ln 2] (base e) or [0, 1] (base 2). */
export function jensenShannonDistanceDetailed(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): DivergenceResult {
  const s = divergenceShares(reference, current, options, 'jensenShannonDistance');
  const p = normalized(evidentlyFloor(s.ref));
  const q = normalized(evidentlyFloor(s.cur));
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    left += relEntr(p[i]!, m);
    right += relEntr(q[i]!, m);
  }
  let js = left + right;
  if (s.base !== undefined) js /= Math.log(s.base);
  return { value: Math.sqrt(js / 2), dropped: s.dropped };
}

/** Jensen–Shannon distance (= scipy.spatial.distance.jensenshannon on Evidently's binned shares): [0, √ln 2] in base e. */
export function jensenShannonDistance(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): number {
  return jensenShannonDistanceDetailed(reference, current, options).value;
}

/** Kullback–Leibler divergence KL(reference ‖ current) with the dropped counts: value in [0, ∞). */
export function klDivergenceDetailed(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): DivergenceResult {
  const s = divergenceShares(reference, current, options, 'klDivergence');
  const p = normalized(evidentlyFloor(s.ref));
  const q = normalized(evidentlyFloor(s.cur));
  let kl = 0;
  for (let i = 0; i < p.length; i++) kl += relEntr(p[i]!, q[i]!);
  if (s.base !== undefined) kl /= Math.log(s.base);
  return { value: kl, dropped: s.dropped };
}

/** Kullback–Leibler divergence KL(reference ‖ current) (= scipy.stats.entropy on Evidently's binned shares): [0, ∞). */
export function klDivergence(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): number {
  return klDivergenceDetailed(reference, current, options).value;
}

/** Hellinger distance with the dropped counts: value in [0, 1]. */
export function hellingerDistanceDetailed(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): DivergenceResult {
  const s = divergenceShares(reference, current, options, 'hellingerDistance');
  const p = normalized(s.ref);
  const q = normalized(s.cur);
  let ss = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt(p[i]!) - Math.sqrt(q[i]!);
    ss += d * d;
  }
  return { value: Math.sqrt(ss) / Math.SQRT2, dropped: s.dropped };
}

/** Hellinger distance ‖√p − √q‖₂/√2 between the binned (unfloored) shares: [0, 1]. */
export function hellingerDistance(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): number {
  return hellingerDistanceDetailed(reference, current, options).value;
}

/** Total variation distance with the dropped counts: value in [0, 1]. */
export function totalVariationDistanceDetailed(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): DivergenceResult {
  const s = divergenceShares(reference, current, options, 'totalVariationDistance');
  const p = normalized(s.ref);
  const q = normalized(s.cur);
  let t = 0;
  for (let i = 0; i < p.length; i++) t += Math.abs(p[i]! - q[i]!);
  return { value: 0.5 * t, dropped: s.dropped };
}

/** Total variation distance ½·Σ|p − q| between the binned (unfloored) shares: [0, 1]. */
export function totalVariationDistance(
  reference: DivergenceSample,
  current: DivergenceSample,
  options?: DivergenceOptions,
): number {
  return totalVariationDistanceDetailed(reference, current, options).value;
}
