import { createHash } from 'node:crypto';

/** A seeded uniform generator in [0, 1). */
export type Rng = () => number;

/** mulberry32: small, fast, and good enough for sampling hyperparameters. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator derived from several keys (e.g. the study seed and a trial number): same keys, same stream. */
export function rngFor(...keys: (string | number)[]): Rng {
  const h = createHash('sha256').update(JSON.stringify(keys)).digest();
  return mulberry32(h.readUInt32LE(0));
}

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
