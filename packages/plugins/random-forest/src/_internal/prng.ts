// A small seeded PRNG (sfc32 seeded through splitmix32): fast, 32-bit, and identical on every platform, so the same
// seed always draws the same bootstrap samples and feature subsets.

/** A seeded source of uniform numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A 31-bit non-negative integer (a seed for ml-random-forest, which wants a 32-bit integer). */
  seed31(): number;
}

function splitmix32(a: number): () => number {
  let s = a >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A PRNG for stream `stream` of `seed` (e.g. one stream per tree, so trees don't depend on the order they are built in). */
export function createRng(seed: number, stream = 0): Rng {
  const init = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2d));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  return {
    next: () => u32() / 4294967296,
    int: (n) => Math.floor((u32() / 4294967296) * n),
    seed31: () => u32() >>> 1,
  };
}
