import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs.js';

// Rosenbrock in n dimensions: minimum 0 at (1, …, 1); a classic hard case for the line search.
function rosenbrock(x: Float64Array, g: Float64Array): number {
  let f = 0;
  g.fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    f += 100 * a * a + b * b;
    g[i] = g[i]! - 400 * x[i]! * a - 2 * b;
    g[i + 1] = g[i + 1]! + 200 * a;
  }
  return f;
}

describe('minimizeLbfgs', () => {
  it('finds the Rosenbrock minimum from the classic start', async () => {
    const x0 = Float64Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const r = await minimizeLbfgs(rosenbrock, x0, { maxIter: 1000, gtol: 1e-9, ftol: 0 });
    expect(r.f).toBeLessThan(1e-14);
    for (const v of r.x) expect(v).toBeCloseTo(1, 6);
    expect(r.nIter).toBeLessThan(200);
  });

  it('solves a quadratic exactly in about n iterations', async () => {
    // f = ½ xᵀAx − bᵀx with A diagonal 1..20: minimiser x* = b / diag(A).
    const n = 20;
    const fn = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        g[i] = (i + 1) * x[i]! - 1;
        f += 0.5 * (i + 1) * x[i]! * x[i]! - x[i]!;
      }
      return f;
    };
    const r = await minimizeLbfgs(fn, new Float64Array(n), { maxIter: 200, gtol: 1e-10, ftol: 0, memory: 25 });
    expect(r.stop).toBe('gtol');
    expect(r.converged).toBe(true);
    r.x.forEach((v, i) => {
      expect(v).toBeCloseTo(1 / (i + 1), 9);
    });
  });

  it('stops at maxIter and says it did not converge', async () => {
    const x0 = Float64Array.from([-1.2, 1]);
    const r = await minimizeLbfgs(rosenbrock, x0, { maxIter: 3, gtol: 1e-12 });
    expect(r.nIter).toBe(3);
    expect(r.stop).toBe('max-iter');
    expect(r.converged).toBe(false);
  });

  it('is deterministic and reports every iteration', async () => {
    const seen: number[] = [];
    const x0 = Float64Array.from([-1.2, 1, -1.2, 1]);
    const a = await minimizeLbfgs(rosenbrock, x0, {
      maxIter: 500,
      gtol: 1e-8,
      onIteration: (it, f) => {
        expect(it).toBe(seen.length + 1);
        seen.push(f);
      },
    });
    const b = await minimizeLbfgs(rosenbrock, x0, { maxIter: 500, gtol: 1e-8 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(seen).toHaveLength(a.nIter);
    // A line search with sufficient decrease never increases f.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeLessThanOrEqual(seen[i - 1]!);
  });

  it('stops at once when the start is already optimal', async () => {
    const r = await minimizeLbfgs(rosenbrock, Float64Array.from([1, 1]), { maxIter: 10, gtol: 1e-8 });
    expect(r).toMatchObject({ nIter: 0, stop: 'gtol', converged: true, f: 0 });
  });

  it('propagates an error thrown from onIteration (how the trainer aborts)', async () => {
    const err = await minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), {
      maxIter: 100,
      gtol: 1e-12,
      onIteration: (it) => {
        if (it === 2) throw new Error('stop');
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('stop');
  });
});
