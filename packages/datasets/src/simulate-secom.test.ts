import { describe, expect, it } from 'vitest';
import { isDatasetError } from './errors.js';
import { SECOM_FEATURE_COUNT, type SecomLabel, simulateSecom } from './simulate-secom.js';

// 1,567 runs with 104 fails spread over three months, like secom_labels.data.
const N = 1567;
const labels: SecomLabel[] = Array.from({ length: N }, (_, i) => ((i * 104) % N < 104 ? 1 : -1));
const start = Date.UTC(2008, 6, 19, 11, 55);
const timestamps = Array.from({ length: N }, (_, i) => new Date(start + i * 5_500_000));

function column(features: number[][], j: number, rows: (i: number) => boolean): number[] {
  return features.flatMap((r, i) => (rows(i) && !Number.isNaN(r[j] as number) ? [r[j] as number] : []));
}
/** The exact float64 bit patterns of a matrix (NaN included), for a fast exact comparison. */
const bytes = (m: number[][]) => Buffer.from(Float64Array.from(m.flat()).buffer);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};
/** Welch's t statistic between fail and pass rows of one column. */
function welchT(features: number[][], j: number): number {
  const fail = column(features, j, (i) => labels[i] === 1);
  const pass = column(features, j, (i) => labels[i] === -1);
  return (mean(fail) - mean(pass)) / Math.sqrt(variance(fail) / fail.length + variance(pass) / pass.length);
}

describe('simulateSecom', () => {
  const sim = simulateSecom({ seed: 7, labels, timestamps });

  it('is deterministic: same seed gives identical output, another seed differs', () => {
    const again = simulateSecom({ seed: 7, labels, timestamps });
    expect(bytes(again.features).equals(bytes(sim.features))).toBe(true);
    expect(again.columns).toEqual(sim.columns);
    const other = simulateSecom({ seed: 8, labels, timestamps });
    expect(bytes(other.features).equals(bytes(sim.features))).toBe(false);
  });

  it('has the SECOM shape, keeps labels and timestamps aligned, and is tagged simulated', () => {
    expect(sim.simulated).toBe(true);
    expect(sim.features).toHaveLength(N);
    for (const row of sim.features) expect(row).toHaveLength(SECOM_FEATURE_COUNT);
    expect(sim.featureNames).toHaveLength(SECOM_FEATURE_COUNT);
    expect(sim.featureNames[0]).toBe('sensor_000');
    expect(sim.labels).toEqual(labels);
    expect(sim.timestamps.map((d) => d.getTime())).toEqual(timestamps.map((d) => d.getTime()));
    expect(sim.columns.map((c) => c.name)).toEqual(sim.featureNames);
  });

  it('has a realistic share of missing values and about 28 mostly-missing columns', () => {
    let missing = 0;
    const perColumn = new Array<number>(SECOM_FEATURE_COUNT).fill(0);
    sim.features.forEach((row) => {
      row.forEach((v, j) => {
        if (Number.isNaN(v)) {
          missing++;
          perColumn[j] = (perColumn[j] as number) + 1;
        }
      });
    });
    const share = missing / (N * SECOM_FEATURE_COUNT);
    expect(share).toBeGreaterThan(0.03); // real SECOM: 4.5 %
    expect(share).toBeLessThan(0.07);
    const mostlyMissing = perColumn.filter((m) => m / N > 0.5).length;
    expect(mostlyMissing).toBeGreaterThanOrEqual(24);
    expect(mostlyMissing).toBeLessThanOrEqual(32);
  });

  it('has constant columns and skewed columns like the real sensors', () => {
    const kinds = sim.columns.map((c) => c.kind);
    const constants = kinds.flatMap((k, j) => (k === 'constant' ? [j] : []));
    expect(constants.length).toBe(116);
    for (const j of constants) expect(new Set(column(sim.features, j, () => true)).size).toBe(1);
    const skewed = kinds.indexOf('skewed');
    const xs = column(sim.features, skewed, () => true).sort((a, b) => a - b);
    expect(mean(xs)).toBeGreaterThan(xs[Math.floor(xs.length / 2)] as number); // right skew: mean > median
  });

  it('informative features separate fail from pass runs; most other columns do not', () => {
    const informative = sim.columns.flatMap((c, j) => (c.kind === 'informative' ? [j] : []));
    expect(informative).toHaveLength(12);
    for (const j of informative) expect(Math.abs(welchT(sim.features, j))).toBeGreaterThan(3);
    const plain = sim.columns.flatMap((c, j) => (c.kind === 'normal' && c.drift === 0 ? [j] : []));
    const separating = plain.filter((j) => Math.abs(welchT(sim.features, j)) > 3);
    expect(separating.length / plain.length).toBeLessThan(0.05);
  });

  it('drifts slowly over time in the drifting columns', () => {
    const j = sim.columns.findIndex((c) => c.kind === 'normal' && Math.abs(c.drift) > 1);
    const firstThird = column(sim.features, j, (i) => i < N / 3);
    const lastThird = column(sim.features, j, (i) => i >= (2 * N) / 3);
    const sd = Math.sqrt(variance(column(sim.features, j, () => true)));
    const shift = (mean(lastThird) - mean(firstThird)) / sd;
    expect(Math.sign(shift)).toBe(Math.sign(sim.columns[j]?.drift ?? 0));
    expect(Math.abs(shift)).toBeGreaterThan(0.3);
  });

  it('rejects mismatched lengths and labels other than -1/1 with INVALID_INPUT', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return isDatasetError(err) ? err.code : String(err);
      }
      return 'no error';
    };
    expect(codeOf(() => simulateSecom({ labels, timestamps: timestamps.slice(1) }))).toBe('INVALID_INPUT');
    expect(codeOf(() => simulateSecom({ labels: [0 as SecomLabel], timestamps: [new Date()] }))).toBe('INVALID_INPUT');
  });
});
