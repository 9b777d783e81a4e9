import { z } from 'zod';
import { parseOptions } from '../_internal/options.js';
import { DriftError } from '../errors.js';
import { hashString, seededRandom } from '../profile/rng.js';
import { quantileSorted } from '../profile/summary.js';
import { tokenize } from '../profile/tokenize.js';
import type { DriftHistogram, TextDrift } from './schema.js';
import { isContentToken } from './stop-words.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max).optional();

/**
 * Options of {@link textDrift} (and `detectDrift`'s `text`); out-of-range values are `DriftError('INVALID_INPUT')`.
 */
export const textDriftOptionsSchema = z.strictObject({
  /** AUC from which the domain classifier reports drift, in [0, 1]. @default 0.55 */
  threshold: z.number().min(0).max(1).optional(),
  /** Seed of the split, the training order and the permutations (an integer). @default 42 */
  seed: z.number().int().optional(),
  /** Hashed bag-of-words dimensions, 1 … 2^22. @default 16384 */
  features: int(1, 2 ** 22),
  /** Documents used per side (a seeded subsample beyond that), 2 … 10^7. @default 5000 */
  maxDocuments: int(2, 10_000_000),
  /** Label permutations for the no-drift baseline, 1 … 100,000. @default 200 */
  permutations: int(1, 100_000),
  /** Most frequent tokens compared by the token distance, 1 … 10^7. @default 1000 */
  topTokens: int(1, 10_000_000),
  /** Tokens shown in the histogram (the most frequent that are not English stop-words), 0 … 10,000. @default 20 */
  histogramTokens: int(0, 10_000),
});

/** Options of {@link textDrift}. */
export type TextDriftOptions = z.input<typeof textDriftOptionsSchema>;

/** Text drift of one column: the figures, the verdict, and a token histogram for drawing. */
export interface TextDriftResult extends TextDrift {
  drifted: boolean;
  /** Permutation p-value of the AUC: (1 + #{permuted AUC ≥ AUC}) / (1 + permutations). */
  pValue: number;
  histogram: DriftHistogram;
}

/**
 * Detects drift in free text the way Evidently's text-content drift does: a cheap linear classifier learns to tell
 * reference documents from current ones on one half of the data, and its ROC-AUC on the other half measures how
 * separable they are (0.5 = indistinguishable). Also reports the token-distribution distance and the
 * out-of-vocabulary rate.
 *
 * Soundness: the AUC is measured on documents the classifier never saw, so overfitting cannot inflate it. Drift
 * requires both AUC ≥ `threshold` (a practical effect size, Evidently's 0.55) and AUC above the 95th percentile of
 * AUCs obtained with randomly permuted held-out labels (the same scores, so this baseline is the AUC that chance
 * alone reaches at this sample size: Evidently's bootstrap rule for small samples). With large samples the
 * threshold binds, with small ones the permutation baseline does. Everything is seeded, so the result is
 * reproducible.
 */
export function textDrift(
  reference: readonly string[],
  current: readonly string[],
  options: TextDriftOptions = {},
): TextDriftResult {
  parseOptions(textDriftOptionsSchema, options, 'textDrift');
  const threshold = options.threshold ?? 0.55;
  const seed = options.seed ?? 42;
  const dims = options.features ?? 16_384;
  const maxDocs = options.maxDocuments ?? 5000;
  const permutations = options.permutations ?? 200;
  if (reference.length < 2 || current.length < 2) {
    throw new DriftError('INSUFFICIENT_DATA', 'text drift needs at least 2 documents on each side', {
      details: { reference: reference.length, current: current.length },
    });
  }
  const random = seededRandom(seed);
  const refDocs = subsample(reference, maxDocs, random).map(tokenize);
  const curDocs = subsample(current, maxDocs, random).map(tokenize);

  const refCounts = countTokens(refDocs);
  const curCounts = countTokens(curDocs);
  let oov = 0;
  let curTotal = 0;
  for (const [token, n] of curCounts) {
    curTotal += n;
    if (!refCounts.has(token)) oov += n;
  }
  const combined = [...new Set([...refCounts.keys(), ...curCounts.keys()])]
    .map((token) => ({ token, n: (refCounts.get(token) ?? 0) + (curCounts.get(token) ?? 0) }))
    .sort((a, b) => b.n - a.n || (a.token < b.token ? -1 : 1));
  const top = combined.slice(0, options.topTokens ?? 1000).map((x) => x.token);
  const tokenDistance = jsDistance(bucketize(refCounts, top), bucketize(curCounts, top));

  // Stratified 50/50 split (Evidently: test_size 0.5), then logistic regression on hashed, L2-normalised words.
  const refSplit = split(refDocs.length, random);
  const curSplit = split(curDocs.length, random);
  const vec = (doc: string[]) => vectorize(doc, dims);
  const train = [
    ...refSplit.train.map((i) => ({ x: vec(refDocs[i] as string[]), y: 0 })),
    ...curSplit.train.map((i) => ({ x: vec(curDocs[i] as string[]), y: 1 })),
  ];
  const model = fitLogistic(train, dims, random);
  const testScores: number[] = [];
  const testLabels: number[] = [];
  for (const i of refSplit.test) {
    testScores.push(model.score(vec(refDocs[i] as string[])));
    testLabels.push(0);
  }
  for (const i of curSplit.test) {
    testScores.push(model.score(vec(curDocs[i] as string[])));
    testLabels.push(1);
  }
  const ranks = averageRanks(testScores);
  const auc = aucFromRanks(ranks, testLabels);
  const permuted = new Float64Array(permutations);
  const labels = testLabels.slice();
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    shuffle(labels, random);
    const a = aucFromRanks(ranks, labels);
    permuted[p] = a;
    if (a >= auc) atLeast++;
  }
  permuted.sort();
  const permutationBaseline = permutations > 0 ? quantileSorted(permuted, 0.95) : 0.5;

  // What a person reads (the histogram, the typical tokens) leaves out English stop-words; the figures above use
  // every token.
  const content = combined.map((x) => x.token).filter(isContentToken);
  const weighted = top
    .filter((t) => curCounts.has(t) && isContentToken(t))
    .map((t) => ({ t, w: model.weight(t) }))
    .filter((x) => x.w > 0)
    .sort((a, b) => b.w - a.w || (a.t < b.t ? -1 : 1))
    .slice(0, 10)
    .map((x) => x.t);
  const shown = content.slice(0, options.histogramTokens ?? 20);
  return {
    auc,
    permutationBaseline,
    tokenDistance,
    outOfVocabularyRate: curTotal > 0 ? oov / curTotal : 0,
    topCurrentTokens: weighted,
    drifted: auc >= threshold && auc > permutationBaseline,
    pValue: (1 + atLeast) / (1 + permutations),
    histogram: {
      kind: 'categorical',
      labels: shown,
      reference: shown.map((t) => refCounts.get(t) ?? 0),
      current: shown.map((t) => curCounts.get(t) ?? 0),
    },
  };
}

function subsample<T>(items: readonly T[], max: number, random: () => number): T[] {
  if (items.length <= max) return items.slice();
  const idx = Array.from(items, (_, i) => i);
  shuffle(idx, random);
  return idx
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => items[i] as T);
}

function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i] as T;
    a[i] = a[j] as T;
    a[j] = t;
  }
}

function split(n: number, random: () => number): { train: number[]; test: number[] } {
  const idx = Array.from({ length: n }, (_, i) => i);
  shuffle(idx, random);
  const half = Math.floor(n / 2);
  return { train: idx.slice(0, n - half), test: idx.slice(n - half) };
}

function countTokens(docs: string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const doc of docs) for (const t of doc) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

function bucketize(counts: Map<string, number>, top: string[]): number[] {
  const kept = new Set(top);
  let other = 0;
  for (const [t, n] of counts) if (!kept.has(t)) other += n;
  return [...top.map((t) => counts.get(t) ?? 0), other];
}

function jsDistance(a: number[], b: number[]): number {
  const sa = a.reduce((s, x) => s + x, 0);
  const sb = b.reduce((s, x) => s + x, 0);
  if (sa === 0 || sb === 0) return sa === sb ? 0 : Math.sqrt(Math.LN2);
  let js = 0;
  for (let i = 0; i < a.length; i++) {
    const p = (a[i] as number) / sa;
    const q = (b[i] as number) / sb;
    const m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * Math.log(p / m);
    if (q > 0) js += 0.5 * q * Math.log(q / m);
  }
  return Math.sqrt(Math.max(js, 0));
}

interface SparseVector {
  index: Int32Array;
  value: Float64Array;
}

/** Binary presence of each hashed word, L2-normalised (so long documents do not dominate). */
function vectorize(tokens: string[], dims: number): SparseVector {
  const seen = new Set<number>();
  for (const t of tokens) seen.add(hashString(t) % dims);
  const index = Int32Array.from(seen).sort();
  const v = index.length > 0 ? 1 / Math.sqrt(index.length) : 0;
  return { index, value: new Float64Array(index.length).fill(v) };
}

function fitLogistic(
  rows: { x: SparseVector; y: number }[],
  dims: number,
  random: () => number,
): { score(x: SparseVector): number; weight(token: string): number } {
  const w = new Float64Array(dims);
  let b = 0;
  const order = rows.map((_, i) => i);
  const epochs = 8;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, random);
    const rate = 1 / (1 + epoch);
    for (const i of order) {
      const { x, y } = rows[i] as { x: SparseVector; y: number };
      let z = b;
      for (let k = 0; k < x.index.length; k++) z += (w[x.index[k] as number] as number) * (x.value[k] as number);
      const g = 1 / (1 + Math.exp(-z)) - y;
      b -= rate * g * 0.1;
      for (let k = 0; k < x.index.length; k++) {
        const j = x.index[k] as number;
        w[j] = (w[j] as number) - rate * g * (x.value[k] as number);
      }
    }
  }
  return {
    score(x) {
      let z = b;
      for (let k = 0; k < x.index.length; k++) z += (w[x.index[k] as number] as number) * (x.value[k] as number);
      return z;
    },
    weight: (token) => w[hashString(token) % dims] as number,
  };
}

/** 1-based ranks with ties given their average rank. */
function averageRanks(scores: number[]): Float64Array {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const ranks = new Float64Array(scores.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = r;
    i = j + 1;
  }
  return ranks;
}

/** ROC-AUC (Mann–Whitney U over n1·n0) of positives labelled 1. */
function aucFromRanks(ranks: Float64Array, labels: number[]): number {
  let n1 = 0;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      n1++;
      sum += ranks[i] as number;
    }
  }
  const n0 = labels.length - n1;
  if (n1 === 0 || n0 === 0) return 0.5;
  return (sum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}
