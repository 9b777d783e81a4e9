import { createHash } from 'node:crypto';
import { mulberry32 as coreMulberry32 } from '@mlops/core';

/** A seeded uniform generator in [0, 1). */
export type Rng = () => number;

/** mulberry32 (core's): small, fast, and good enough for sampling hyperparameters. */
export const mulberry32: (seed: number) => Rng = coreMulberry32;

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
