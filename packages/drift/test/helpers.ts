import { seededRandom } from '../src/profile/rng.js';

/** Seeded normal samples (Box–Muller) for reproducible tests. */
export function normalSample(n: number, mean: number, std: number, seed: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  while (out.length < n) {
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    out.push(mean + std * r * Math.cos(2 * Math.PI * v));
    if (out.length < n) out.push(mean + std * r * Math.sin(2 * Math.PI * v));
  }
  return out;
}

/** Seeded draws from `values` with the given weights. */
export function categoricalSample(n: number, values: string[], weights: number[], seed: number): string[] {
  const random = seededRandom(seed);
  const total = weights.reduce((s, w) => s + w, 0);
  return Array.from({ length: n }, () => {
    let x = random() * total;
    for (let i = 0; i < values.length; i++) {
      x -= weights[i] as number;
      if (x < 0) return values[i] as string;
    }
    return values[values.length - 1] as string;
  });
}

/** Seeded sentences drawn from a vocabulary, `words` tokens each. */
export function sentences(n: number, vocabulary: string[], words: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: words }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' '),
  );
}
