// Sorting NaN-free float64 samples fast enough that the statistics are scan-bound (see README "Speed").
//
// Two strategies, chosen per call:
//   - smooth samples (normal, uniform, most sensor readings): one counting pass into n equal-width buckets over
//     [min, max], one scatter pass, then an insertion sort that only moves values within their bucket;
//   - anything else (heavy tails, many ties, infinities): an LSD radix sort of the IEEE-754 bits, 8-bit digits
//     (16-bit above 2^17 values), ping-ponging between two buffers. The digit is taken from the order-preserving
//     key (sign bit flipped for positives, every bit flipped for negatives) computed on the fly, so the buffers hold
//     the original doubles throughout: no NaN bit patterns are ever stored in a Float64Array (engines may
//     canonicalise them), and -0 and subnormals survive. Digits that are equal for every value skip their pass.
// Both give exactly the order of Float64Array.prototype.sort, except that -0 and +0 (equal as numbers) may come in
// any order relative to each other.

/** Below this size the built-in sort wins (no histograms to clear). */
const SMALL = 64;
/** Below this size a sample that is not smooth takes the built-in sort (a radix sort's passes cost more). */
const RADIX_FROM = 4096;
/** A bucket holding more values than this sends the sample to the radix sort (insertion sort would go quadratic). */
const BUCKET_LIMIT = 48;
/** From this size on, 16-bit digits (4 passes) beat 8-bit ones (8 passes). */
const WIDE_DIGITS = 1 << 17;

/** Scratch counters up to this many (1 MiB) are kept between calls; larger ones are allocated per call. */
const KEEP_SCRATCH = 1 << 18;
let scratchI32: Int32Array = new Int32Array(0);

/** A zeroed Int32Array of at least `n` elements, reused between calls (no allocation per column). */
function zeroedInts(n: number): Int32Array {
  if (n > KEEP_SCRATCH) return new Int32Array(n);
  if (scratchI32.length < n) scratchI32 = new Int32Array(Math.min(Math.max(n, scratchI32.length * 2), KEEP_SCRATCH));
  else scratchI32.fill(0, 0, n);
  return scratchI32;
}

/** A sorted copy of a NaN-free Float64Array; `values` is not modified. */
export function sortedFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < SMALL) {
    const out = values.slice();
    out.sort();
    return out;
  }
  let min = values[0] as number;
  let max = min;
  for (let i = 1; i < n; i++) {
    const x = values[i] as number;
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  const range = max - min;
  if (range > 0 && range < Number.POSITIVE_INFINITY && looksSmooth(values, min, range)) {
    const out = bucketSort(values, min, range);
    if (out !== null) return out;
  }
  if (n < RADIX_FROM) {
    const out = values.slice();
    out.sort();
    return out;
  }
  return radixSort(values);
}

/** Sorts a NaN-free Float64Array in place and returns it. */
export function sortFloat64InPlace(values: Float64Array): Float64Array {
  if (values.length < SMALL) return values.sort();
  values.set(sortedFloat64(values));
  return values;
}

/** 128 evenly spaced values into 32 coarse buckets: a crowded one means skewed or heavily tied data. */
function looksSmooth(a: Float64Array, min: number, range: number): boolean {
  const n = a.length;
  const probe = new Int32Array(32);
  const coarse = 31.999 / range;
  for (let k = 0; k < 128; k++) {
    const b = ((a[Math.floor((k * (n - 1)) / 127)] as number) - min) * coarse;
    if (++probe[b | 0]! > 24) return false;
  }
  return true;
}

/** Bucket sort over [min, min + range]; null (nothing written) when a bucket overflows BUCKET_LIMIT. */
function bucketSort(a: Float64Array, min: number, range: number): Float64Array | null {
  const n = a.length;
  const scale = (n - 1) / range;
  const starts = zeroedInts(n + 1);
  // Bucket of x: floor((x − min)·scale), monotone in x and within [0, n − 1].
  for (let i = 0; i < n; i++) starts[((((a[i] as number) - min) * scale) | 0) + 1]!++;
  let total = 0;
  for (let b = 1; b <= n; b++) {
    const c = starts[b] as number;
    if (c > BUCKET_LIMIT) return null;
    total += c;
    starts[b] = total;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    out[starts[((x - min) * scale) | 0]!++] = x;
  }
  // Every value is now in its bucket's range, buckets in order: insertion sort moves values by a few places at most.
  for (let i = 1; i < n; i++) {
    const v = out[i] as number;
    let j = i - 1;
    if ((out[j] as number) <= v) continue;
    do {
      out[j + 1] = out[j] as number;
      j--;
    } while (j >= 0 && (out[j] as number) > v);
    out[j + 1] = v;
  }
  return out;
}

/** LSD radix sort of the order-preserving keys of the doubles (see the file header). */
export function radixSort(values: Float64Array): Float64Array {
  const n = values.length;
  const bits = n >= WIDE_DIGITS ? 16 : 8;
  const radix = 1 << bits;
  const digitMask = radix - 1;
  const passes = 64 / bits;
  const src32 = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const hist = zeroedInts(passes * radix);
  // One pass for every histogram.
  if (bits === 16) {
    for (let i = 0; i < n; i++) {
      const hi0 = src32[2 * i + 1] as number;
      const m = hi0 >> 31;
      const lo = (src32[2 * i] as number) ^ m;
      const hi = hi0 ^ (m | 0x80000000);
      hist[lo & 0xffff]!++;
      hist[0x10000 + (lo >>> 16)]!++;
      hist[0x20000 + (hi & 0xffff)]!++;
      hist[0x30000 + (hi >>> 16)]!++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const hi0 = src32[2 * i + 1] as number;
      const m = hi0 >> 31;
      const lo = (src32[2 * i] as number) ^ m;
      const hi = hi0 ^ (m | 0x80000000);
      hist[lo & 0xff]!++;
      hist[0x100 + ((lo >>> 8) & 0xff)]!++;
      hist[0x200 + ((lo >>> 16) & 0xff)]!++;
      hist[0x300 + (lo >>> 24)]!++;
      hist[0x400 + (hi & 0xff)]!++;
      hist[0x500 + ((hi >>> 8) & 0xff)]!++;
      hist[0x600 + ((hi >>> 16) & 0xff)]!++;
      hist[0x700 + (hi >>> 24)]!++;
    }
  }
  let from: Float64Array = values;
  let bufA: Float64Array | null = null;
  let bufB: Float64Array | null = null;
  for (let p = 0; p < passes; p++) {
    const base = p * radix;
    // A digit shared by every value orders nothing: skip its pass.
    let trivial = false;
    let sum = 0;
    for (let d = 0; d < radix; d++) {
      const c = hist[base + d] as number;
      if (c === n) trivial = true;
      hist[base + d] = sum;
      sum += c;
    }
    if (trivial) continue;
    let to: Float64Array;
    if (from === bufA) {
      bufB ??= new Float64Array(n);
      to = bufB;
    } else {
      bufA ??= new Float64Array(n);
      to = bufA;
    }
    const from32 = new Uint32Array(from.buffer, from.byteOffset, 2 * n);
    const shift = (p * bits) & 31;
    if (p * bits < 32) scatterLow(from, from32, to, hist, base, shift, digitMask, n);
    else scatterHigh(from, from32, to, hist, base, shift, digitMask, n);
    from = to;
  }
  return from === values ? values.slice() : from;
}

/** One pass on a digit of the key's low word (flipped when the value is negative). */
function scatterLow(
  from: Float64Array,
  from32: Uint32Array,
  to: Float64Array,
  hist: Int32Array,
  base: number,
  shift: number,
  mask: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const m = (from32[2 * i + 1] as number) >> 31;
    const d = (((from32[2 * i] as number) ^ m) >>> shift) & mask;
    to[hist[base + d]!++] = from[i] as number;
  }
}

/** One pass on a digit of the key's high word (sign bit flipped for positives, all bits for negatives). */
function scatterHigh(
  from: Float64Array,
  from32: Uint32Array,
  to: Float64Array,
  hist: Int32Array,
  base: number,
  shift: number,
  mask: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const hi = from32[2 * i + 1] as number;
    const d = ((hi ^ ((hi >> 31) | 0x80000000)) >>> shift) & mask;
    to[hist[base + d]!++] = from[i] as number;
  }
}
