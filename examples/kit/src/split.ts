/** A seeded PRNG (mulberry32): the same seed always gives the same split. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles indices in place (Fisher–Yates) with the given random source. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Stratified split of row indices: each class keeps its share in both parts. */
export function stratifiedSplit(
  labels: readonly string[],
  testShare: number,
  seed: number,
): { train: number[]; test: number[] } {
  const random = seededRandom(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((y, i) => {
    const list = byClass.get(y) ?? [];
    list.push(i);
    byClass.set(y, list);
  });
  const train: number[] = [];
  const test: number[] = [];
  for (const y of [...byClass.keys()].sort()) {
    const idx = shuffle(byClass.get(y)!, random);
    const nTest = Math.round(idx.length * testShare);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** A stratified sample of at most `n` row indices (every class keeps its share). */
export function stratifiedSample(labels: readonly string[], n: number, seed: number): number[] {
  if (n >= labels.length) return labels.map((_, i) => i);
  return stratifiedSplit(labels, n / labels.length, seed).test;
}
