import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { DriftError } from '../errors.js';
import { columnDriftOfJob, detectDrift } from './detect-drift.js';
import {
  type ColumnJob,
  PARALLEL_WORK_FROM,
  type RunStats,
  resolveWorkers,
  runColumnJobs,
  runJob,
} from './parallel.js';

function column(n: number, seed: number, shift: number, scale = 1): Float64Array {
  const u = xorshift(seed);
  return Float64Array.from({ length: n }, () => {
    let s = 0;
    for (let j = 0; j < 12; j++) s += u();
    return (s - 6 + shift) * scale;
  });
}

const n = 30_000; // 60,000 values per column pair: large enough to be handed to a worker
const reference: Record<string, Float64Array | number[] | string[]> = {};
const current: Record<string, Float64Array | number[] | string[]> = {};
for (let c = 0; c < 6; c++) {
  reference[`x${c}`] = column(n, 10 + c, 0, 1 + c);
  current[`x${c}`] = column(n, 20 + c, c % 2 === 0 ? 0.1 : 0, 1 + c);
}
// a plain array with missing values (a job too), and a categorical column (tested in the calling thread)
reference.gaps = Array.from(column(n, 1, 0)).map((x, i) => (i % 7 === 0 ? Number.NaN : x));
current.gaps = Array.from(column(n, 2, 0.3)).map((x, i) => (i % 5 === 0 ? Number.NaN : x));
reference.cat = Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3] as string);
current.cat = Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][(i * 7) % 3 === 0 ? 0 : i % 3] as string);

describe('detectDrift workers', () => {
  it('gives the same report with worker threads as in the calling thread alone, in the same order', () => {
    const progress: [number, number][] = [];
    const alone = detectDrift(reference, current, { workers: 0 });
    const threaded = detectDrift(reference, current, {
      workers: 2,
      tests: { numerical: 'wasserstein' },
      columns: { x1: { test: 'ks' }, x2: { test: 'psi' }, x3: { test: 'anderson-darling' } },
      onProgress: (done, total) => progress.push([done, total]),
    });
    const aloneSame = detectDrift(reference, current, {
      workers: 0,
      tests: { numerical: 'wasserstein' },
      columns: { x1: { test: 'ks' }, x2: { test: 'psi' }, x3: { test: 'anderson-darling' } },
    });
    expect(threaded).toEqual(aloneSame);
    expect(threaded.columns.map((c) => c.column)).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'gaps', 'cat']);
    expect(progress).toHaveLength(8);
    expect(progress.at(-1)).toEqual([8, 8]);
    expect(detectDrift(reference, current, { workers: 3 })).toEqual(alone);
  });

  it('runs columns on the workers (the calling thread only hands them out) with the calling thread’s results', () => {
    const options = { bins: 20 };
    const jobs: ColumnJob[] = ['x0', 'x1', 'x2'].map((name) => ({
      name,
      type: 'numerical',
      role: 'feature',
      referenceSize: n,
      ref: { rows: n, missing: 0, numbers: reference[name] as Float64Array },
      cur: { rows: n, missing: 0, numbers: current[name] as Float64Array },
    }));
    const stats: RunStats = { byWorkers: 0, started: 0 };
    const done: number[] = [];
    const outcomes = runColumnJobs(
      jobs,
      2,
      options,
      (job) => columnDriftOfJob(job, options),
      (i) => done.push(i),
      { callerWorks: false, stats },
    );
    expect(stats).toEqual({ byWorkers: 3, started: 2 });
    expect(done.sort()).toEqual([0, 1, 2]);
    expect(outcomes).toEqual(jobs.map((job) => runJob(job, (j) => columnDriftOfJob(j, options))));
    expect(jobs[0]!.ref.numbers.length).toBe(n); // the caller's arrays are copied, not moved
  });

  it('reports a misconfiguration from a worker as from the calling thread', () => {
    const bad = { columns: { x0: { test: 'domain-classifier' as const } } };
    expect(() => detectDrift(reference, current, { ...bad, workers: 0 })).toThrow(DriftError);
    expect(() => detectDrift(reference, current, { ...bad, workers: 2 })).toThrow(
      /domain-classifier needs a text column/,
    );
  });

  it('starts workers only for enough large columns (auto: enough values and cores)', () => {
    expect(resolveWorkers(3, 1, 1e9)).toBe(0);
    expect(resolveWorkers(3, 2, 10)).toBe(1);
    expect(resolveWorkers(0, 50, 1e9)).toBe(0);
    expect(resolveWorkers('auto', 50, PARALLEL_WORK_FROM - 1)).toBe(0);
    expect(resolveWorkers(undefined, 2, PARALLEL_WORK_FROM)).toBeLessThanOrEqual(1);
  });

  it('validates the option', () => {
    expect(() => detectDrift(reference, current, { workers: -1 })).toThrow(/workers/);
    expect(() => detectDrift(reference, current, { workers: 'many' as unknown as number })).toThrow(/workers/);
  });
});
