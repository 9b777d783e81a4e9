import { seededRandom } from '../profile/rng.js';

/**
 * A KLL quantile sketch (Karnin, Lang & Liberty, "Optimal Quantile Approximation in Streams", FOCS 2016), in the
 * lazy-compaction form of Apache DataSketches' `KllDoublesSketch`: levels of items of weight 2^h, level capacities
 * k·(2/3)^depth (at least 8), and when the whole buffer is full the lowest level over its capacity is sorted and
 * halved (every other item, from a random offset) into the next level. Two sketches merge into one with the same
 * guarantee, which is what makes profiles of partitions combinable.
 *
 * Rank error: for any value x, |estimated rank − true rank| ≤ ε(k)·n with probability ≥ 99%, where
 * ε(k) = {@link kllRankError}(k) (about 0.26 % at k = 1000); the tests measure it on several distributions and
 * after merges. While no compaction has happened (n ≤ k) the sketch holds every value and is exact.
 */
export class KllSketch {
  /** Accuracy parameter: the capacity of the top level. */
  readonly k: number;
  /** Values added (the total weight). */
  n = 0;
  /** Smallest value added (exact). */
  min = Number.POSITIVE_INFINITY;
  /** Largest value added (exact). */
  max = Number.NEGATIVE_INFINITY;
  // levels[h] holds sizes[h] items of weight 2^h; level 0 is unsorted, the others sorted ascending.
  private levels: Float64Array[];
  private sizes: number[];
  private total = 0;
  private capacity = 0;
  private caps = new Int32Array(1);
  private readonly random: () => number;

  constructor(k = 1000, seed = 0x5eed) {
    if (!Number.isInteger(k) || k < 8 || k > 65_535)
      throw new RangeError(`KLL k must be an integer in [8, 65535], got ${k}`);
    this.k = k;
    this.random = seededRandom(seed);
    this.levels = [new Float64Array(k)];
    this.sizes = [0];
    this.setCapacities();
  }

  /** True while the sketch holds every value added (no compaction yet): ranks and quantiles are then exact. */
  get exact(): boolean {
    return this.levels.length === 1;
  }

  /** Number of items retained (the sketch's size in values). */
  get retained(): number {
    return this.total;
  }

  /** Adds one finite value. */
  update(x: number): void {
    if (this.total >= this.capacity) this.compress();
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const level0 = this.levels[0] as Float64Array;
    level0[this.sizes[0]!++] = x;
    this.total++;
    this.n++;
  }

  /** Adds values[start..end) (finite numbers; the caller drops missing values). */
  updateMany(values: ArrayLike<number>, start = 0, end = values.length): void {
    let i = start;
    while (i < end) {
      if (this.total >= this.capacity) this.compress();
      const take = Math.min(end - i, this.capacity - this.total);
      const level0 = this.levels[0] as Float64Array;
      let s0 = this.sizes[0]!;
      let min = this.min;
      let max = this.max;
      for (let j = 0; j < take; j++) {
        const x = values[i + j] as number;
        if (x < min) min = x;
        if (x > max) max = x;
        level0[s0++] = x;
      }
      this.min = min;
      this.max = max;
      this.sizes[0] = s0;
      this.total += take;
      this.n += take;
      i += take;
    }
  }

  /** Adds every value of `other` to this sketch (the result has the guarantee of the coarser of the two). */
  merge(other: KllSketch): this {
    if (other.n === 0) return this;
    const depth = Math.max(this.levels.length, other.levels.length);
    while (this.levels.length < depth) {
      this.levels.push(new Float64Array(0));
      this.sizes.push(0);
    }
    for (let h = 0; h < other.levels.length; h++) {
      const theirs = other.levels[h]!.subarray(0, other.sizes[h]);
      if (theirs.length === 0) continue;
      const mine = this.levels[h]!.subarray(0, this.sizes[h]);
      let merged: Float64Array;
      if (h === 0) {
        merged = new Float64Array(mine.length + theirs.length);
        merged.set(mine);
        merged.set(theirs, mine.length);
      } else merged = mergeSorted(mine, theirs);
      this.levels[h] = merged;
      this.sizes[h] = merged.length;
    }
    this.n += other.n;
    this.total += other.total;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.setCapacities();
    while (this.total > this.capacity) this.compress();
    this.ensureLevel0Room();
    return this;
  }

  /** Fraction of values ≤ x (estimated within the rank error; exact while {@link exact}). */
  rank(x: number): number {
    if (this.n === 0) return Number.NaN;
    let weight = 0;
    for (let h = 0; h < this.levels.length; h++) {
      const items = this.levels[h]!;
      const size = this.sizes[h]!;
      let c = 0;
      if (h === 0) for (let i = 0; i < size; i++) c += (items[i] as number) <= x ? 1 : 0;
      else c = upperBound(items, x, size);
      weight += c * 2 ** h;
    }
    return weight / this.n;
  }

  /** The q-quantile (numpy's linear interpolation over the weighted items; exact while {@link exact}). */
  quantile(q: number): number {
    return sortedViewQuantile(this.sortedView(), q);
  }

  /** The retained items sorted, with cumulative weights: what the drift tests walk instead of the data. */
  sortedView(): SketchView {
    const count = this.total;
    const values = new Float64Array(count);
    const weights = new Float64Array(count);
    // Merge the sorted levels one after another (small: about 3k items).
    let filled = 0;
    for (let h = 0; h < this.levels.length; h++) {
      const size = this.sizes[h]!;
      if (size === 0) continue;
      const items = this.levels[h]!.slice(0, size);
      if (h === 0) items.sort();
      mergeWeighted(values, weights, filled, items, 2 ** h);
      filled += size;
    }
    const cumulative = new Float64Array(count);
    let acc = 0;
    for (let i = 0; i < count; i++) {
      acc += weights[i] as number;
      cumulative[i] = acc;
    }
    return { n: this.n, min: this.min, max: this.max, values, cumulative, exact: this.exact };
  }

  /** The sketch as plain JSON (what a profile stores). */
  toJSON(): KllSketchJson {
    return {
      k: this.k,
      n: this.n,
      min: this.n > 0 ? this.min : 0,
      max: this.n > 0 ? this.max : 0,
      levels: this.levels.map((items, h) => {
        const level = Array.from(items.subarray(0, this.sizes[h]));
        if (h === 0) level.sort((a, b) => a - b);
        return level;
      }),
    };
  }

  /** Rebuilds a sketch from {@link toJSON}'s output (it can keep taking values and merging). */
  static fromJSON(json: KllSketchJson, seed = 0x5eed): KllSketch {
    const s = new KllSketch(json.k, (seed ^ json.n) >>> 0);
    // sorted here: a hand-edited or foreign sketch with unsorted levels would break merges and ranks
    s.levels = json.levels.map((l) => Float64Array.from(l).sort());
    s.sizes = json.levels.map((l) => l.length);
    s.total = s.sizes.reduce((a, b) => a + b, 0);
    s.n = json.n;
    if (json.n > 0) {
      s.min = json.min;
      s.max = json.max;
    }
    let weight = 0;
    for (let h = 0; h < s.sizes.length; h++) weight += s.sizes[h]! * 2 ** h;
    if (weight !== json.n) throw new RangeError(`KLL sketch weights sum to ${weight}, expected n = ${json.n}`);
    s.setCapacities();
    while (s.total > s.capacity) s.compress();
    s.ensureLevel0Room();
    return s;
  }

  private ensureLevel0Room(): void {
    const need = this.capacity - this.total + this.sizes[0]!;
    if (this.levels[0]!.length < need) {
      const grown = new Float64Array(need);
      grown.set(this.levels[0]!.subarray(0, this.sizes[0]));
      this.levels[0] = grown;
    }
  }

  /** Compacts the lowest level that is at or over its capacity (adding a level on top when needed). */
  private compress(): void {
    let numLevels = this.levels.length;
    let h = 0;
    while (h < numLevels - 1 && this.sizes[h]! < (this.caps[h] as number)) h++;
    if (h === numLevels - 1) {
      this.levels.push(new Float64Array(16));
      this.sizes.push(0);
      numLevels++;
      this.setCapacities();
    }
    const items = this.levels[h]!;
    const size = this.sizes[h]!;
    // An odd population leaves its first item behind (DataSketches does the same).
    const odd = size & 1;
    const half = (size - odd) >>> 1;
    if (h === 0) sortRange(items, odd, size);
    const offset = odd + (this.random() < 0.5 ? 0 : 1);
    // Merge every other item of level h into level h + 1 (sorted), in place from the back.
    const aboveSize = this.sizes[h + 1]!;
    let above = this.levels[h + 1]!;
    if (above.length < aboveSize + half) {
      const grown = new Float64Array(Math.max(2 * above.length, aboveSize + half));
      grown.set(above.subarray(0, aboveSize));
      above = grown;
      this.levels[h + 1] = grown;
    }
    let i = aboveSize - 1;
    let j = half - 1;
    let o = aboveSize + half - 1;
    while (j >= 0) {
      const x = items[offset + 2 * j] as number;
      if (i >= 0 && (above[i] as number) > x) above[o--] = above[i--] as number;
      else {
        above[o--] = x;
        j--;
      }
    }
    this.sizes[h + 1] = aboveSize + half;
    this.sizes[h] = odd; // the left-over item (if any) stays at index 0
    this.total -= half;
    this.ensureLevel0Room();
  }

  private setCapacities(): void {
    const numLevels = this.levels.length;
    this.caps = new Int32Array(numLevels);
    let total = 0;
    for (let h = 0; h < numLevels; h++) {
      const c = levelCapacity(this.k, numLevels, h);
      this.caps[h] = c;
      total += c;
    }
    this.capacity = total;
  }
}

/** A sketch's retained items in ascending order with the cumulative weight at each (the last is n). */
export interface SketchView {
  n: number;
  min: number;
  max: number;
  values: Float64Array;
  cumulative: Float64Array;
  /** True when every weight is 1: the values are the data itself. */
  exact: boolean;
}

/** The JSON form of a {@link KllSketch}: `levels[h]` lists the items of weight 2^h, ascending. */
export interface KllSketchJson {
  k: number;
  n: number;
  min: number;
  max: number;
  levels: number[][];
}

/**
 * Normalised rank error of a KLL sketch with parameter k at 99% confidence, for any single value and for the whole
 * CDF at once (the two-sided fit that Apache DataSketches publishes for this algorithm, 2.446 / k^0.9433). The
 * tests check it on our implementation: the largest error over all values, across seeds and distributions.
 */
export function kllRankError(k: number): number {
  return 2.446 / k ** 0.9433;
}

/** Capacity of level h of a sketch with `numLevels` levels: k·(2/3)^depth, at least 8. */
function levelCapacity(k: number, numLevels: number, h: number): number {
  const depth = numLevels - h - 1;
  return Math.max(8, Math.round(k * (2 / 3) ** depth));
}

/**
 * Sorts a[lo..hi) ascending (finite numbers): quicksort with median-of-three pivots and insertion sort below 16
 * items. Level 0 is compacted in blocks of tens to hundreds of values, where this is 3-4x faster than the built-in
 * typed-array sort (whose fixed cost per call dominates at that size).
 */
function sortRange(a: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi - 1] as number;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z)); // median of three
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i++] = a[j] as number;
        a[j--] = t;
      }
    }
    // recurse into the smaller side, loop on the larger
    if (j - lo < hi - i) {
      sortRange(a, lo, j + 1);
      lo = i;
    } else {
      sortRange(a, i, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i] as number;
    let j = i - 1;
    while (j >= lo && (a[j] as number) > v) {
      a[j + 1] = a[j] as number;
      j--;
    }
    a[j + 1] = v;
  }
}

function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) out[o++] = (a[i] as number) <= (b[j] as number) ? a[i++]! : b[j++]!;
  while (i < a.length) out[o++] = a[i++]!;
  while (j < b.length) out[o++] = b[j++]!;
  return out;
}

/** Merges sorted `items` of weight `w` into values/weights[0..filled) (sorted), in place from the back. */
function mergeWeighted(values: Float64Array, weights: Float64Array, filled: number, items: Float64Array, w: number) {
  let i = filled - 1;
  let j = items.length - 1;
  let o = filled + items.length - 1;
  while (j >= 0) {
    if (i >= 0 && (values[i] as number) > (items[j] as number)) {
      values[o] = values[i] as number;
      weights[o--] = weights[i--] as number;
    } else {
      values[o] = items[j--] as number;
      weights[o--] = w;
    }
  }
}

/** Number of the first `size` items of sorted `a` that are ≤ x. */
function upperBound(a: Float64Array, x: number, size: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Weight of the view's items ≤ x. */
export function viewRankCount(view: SketchView, x: number): number {
  const i = upperBound(view.values, x, view.values.length);
  return i === 0 ? 0 : (view.cumulative[i - 1] as number);
}

/** Weight of the view's items < x. */
export function viewCountBelow(view: SketchView, x: number): number {
  let lo = 0;
  let hi = view.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((view.values[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : (view.cumulative[lo - 1] as number);
}

/** The value at 0-based position `pos` of the (weighted) data the view stands for. */
function valueAt(view: SketchView, pos: number): number {
  // first item whose cumulative weight exceeds pos
  let lo = 0;
  let hi = view.values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((view.cumulative[mid] as number) > pos) hi = mid;
    else lo = mid + 1;
  }
  return view.values[lo] as number;
}

/** q-quantile of the data a view stands for, with numpy's linear interpolation (exact for an exact view). */
export function sortedViewQuantile(view: SketchView, q: number): number {
  if (view.n === 0) return Number.NaN;
  if (q <= 0) return view.min;
  if (q >= 1) return view.max;
  const pos = (view.n - 1) * q;
  const lo = Math.floor(pos);
  const a = valueAt(view, lo);
  if (lo + 1 >= view.n) return a;
  const b = valueAt(view, lo + 1);
  return a + (b - a) * (pos - lo);
}

/**
 * Weight of the view's data ≤ x on a piecewise-linear CDF through each item's mid-step (cumulative weight minus half
 * its own) from (min, 0) to (max, n): spreads an item's weight over its neighbourhood instead of stacking it on one
 * value, which is much closer to the data for bins narrower than the spacing of the items (a distribution's tails).
 */
export function viewInterpolatedCdf(view: SketchView, x: number): number {
  const v = view.values;
  const c = view.cumulative;
  if (x < view.min) return 0;
  if (x >= view.max) return view.n;
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((v[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  const midStep = (i: number) => ((c[i] as number) + (i > 0 ? (c[i - 1] as number) : 0)) / 2;
  const x0 = lo === 0 ? view.min : (v[lo - 1] as number);
  const y0 = lo === 0 ? 0 : midStep(lo - 1);
  const x1 = lo === v.length ? view.max : (v[lo] as number);
  const y1 = lo === v.length ? view.n : midStep(lo);
  return x1 > x0 ? y0 + ((y1 - y0) * (x - x0)) / (x1 - x0) : y1;
}
