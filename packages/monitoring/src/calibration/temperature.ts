import type { ProbabilityRows } from './_probabilities.js';

/** Log-probabilities are floored here so that a probability of 0 stays finite under scaling. */
const LOG_FLOOR = Math.log(1e-15);

/** Temperatures searched by {@link fitTemperature}. */
export const TEMPERATURE_RANGE = [0.05, 20] as const;

/** softmax(log p / T) of one row: T > 1 softens the probabilities, T < 1 sharpens them; the argmax never changes. */
export function applyTemperature(row: ArrayLike<number>, temperature: number): number[] {
  const k = row.length;
  const z = new Array<number>(k);
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    const p = row[c]!;
    z[c] = (p > 0 ? Math.max(LOG_FLOOR, Math.log(p)) : LOG_FLOOR) / temperature;
    if (z[c]! > max) max = z[c]!;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    z[c] = Math.exp(z[c]! - max);
    sum += z[c]!;
  }
  for (let c = 0; c < k; c++) z[c] = z[c]! / sum;
  return z;
}

/**
 * Temperature scaling (Guo et al. 2017): the T in [0.05, 20] minimising the mean negative log-likelihood of
 * softmax(log p / T) on labelled rows. Log-probabilities differ from the logits by a constant per row, which softmax
 * ignores, so this is temperature scaling of the logits. The NLL is convex in 1/T: a golden-section search on 1/T.
 */
export function fitTemperature(rows: ProbabilityRows, labels: Int32Array): number {
  const n = rows.length;
  const k = rows[0]!.length;
  const logp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const p = rows[i]![c]!;
      logp[i * k + c] = p > 0 ? Math.max(LOG_FLOOR, Math.log(p)) : LOG_FLOOR;
    }
  }
  const nll = (beta: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) max = Math.max(max, beta * logp[o + c]!);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(beta * logp[o + c]! - max);
      total += max + Math.log(sum) - beta * logp[o + labels[i]!]!;
    }
    return total / n;
  };
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = 1 / TEMPERATURE_RANGE[1];
  let b = 1 / TEMPERATURE_RANGE[0];
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = nll(c);
  let fd = nll(d);
  while (b - a > 1e-6 * (1 + Math.abs(a))) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = nll(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = nll(d);
    }
  }
  return 1 / ((a + b) / 2);
}
