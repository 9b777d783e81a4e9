// Synthetic classifiers for the calibration and estimation tests: each row has logits z, its true class is drawn from
// softmax(z), and the "model" reports softmax(sharpness · z): calibrated at sharpness 1, overconfident above it,
// underconfident below. With `prior`, classes are reweighted after the fact (a label-prior shift).
import { seededRandom } from './_rng.js';

export interface SyntheticRows {
  probabilities: number[][];
  labels: number[];
}

function softmax(z: number[], scale: number): number[] {
  const m = Math.max(...z.map((v) => v * scale));
  const e = z.map((v) => Math.exp(v * scale - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** `n` rows of a `k`-class problem; logits N(0, spread²) per class. */
export function syntheticRows(opts: {
  n: number;
  k: number;
  seed: number;
  sharpness?: number;
  spread?: number;
}): SyntheticRows {
  const random = seededRandom(opts.seed);
  const probabilities: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < opts.n; i++) {
    const z = Array.from({ length: opts.k }, () => normal(random) * (opts.spread ?? 2));
    const truth = softmax(z, 1);
    let u = random();
    let y = 0;
    while (y < opts.k - 1 && u >= truth[y]!) u -= truth[y++]!;
    labels.push(y);
    probabilities.push(softmax(z, opts.sharpness ?? 1));
  }
  return { probabilities, labels };
}

/** Realized accuracy of argmax predictions. */
export function realizedAccuracy(rows: SyntheticRows): number {
  let ok = 0;
  rows.probabilities.forEach((p, i) => {
    if (p.indexOf(Math.max(...p)) === rows.labels[i]) ok++;
  });
  return ok / rows.labels.length;
}
