// Deterministic sample generator shared with scripts/gen-fixtures.py (xorshift32; Irwin-Hall normals). Both sides
// produce bit-identical doubles, so large fixture inputs are stored as a spec instead of 20,000 numbers.

/** A generator spec as stored in the fixtures under `{ "gen": … }`. */
export interface GenSpec {
  kind: 'normal' | 'int' | 'uniform';
  seed: number;
  n: number;
  loc?: number;
  scale?: number;
  k?: number;
  offset?: number;
  lo?: number;
  hi?: number;
}

/** xorshift32 uniform generator in [0, 1). */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** Materializes a generator spec into a Float64Array. */
export function generate(spec: GenSpec): Float64Array {
  const next = xorshift(spec.seed);
  const out = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    if (spec.kind === 'normal') {
      let s = 0;
      for (let j = 0; j < 12; j++) s += next();
      out[i] = (s - 6) * (spec.scale ?? 1) + (spec.loc ?? 0);
    } else if (spec.kind === 'int') {
      out[i] = Math.floor(next() * spec.k!) + (spec.offset ?? 0);
    } else {
      const lo = spec.lo ?? 0;
      const hi = spec.hi ?? 1;
      out[i] = next() * (hi - lo) + lo;
    }
  }
  return out;
}
