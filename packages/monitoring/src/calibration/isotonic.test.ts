import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitIsotonic, isotonicPredict } from './isotonic.js';

const fitted = (x: number[], y: number[]) => {
  const fit = fitIsotonic(x, y);
  return x.map((v) => isotonicPredict(fit, v));
};

describe('fitIsotonic', () => {
  it.each([
    { x: [1, 2, 3, 4], y: [0, 1, 2, 3], want: [0, 1, 2, 3] },
    { x: [1, 2, 3, 4], y: [1, 3, 2, 4], want: [1, 2.5, 2.5, 4] },
    { x: [1, 2, 3], y: [3, 2, 1], want: [2, 2, 2] },
    { x: [4, 1, 3, 2], y: [4, 1, 2, 3], want: [4, 1, 2.5, 2.5] },
    // Equal x values get one value (their mean, then pooled like any other).
    { x: [1, 1, 2], y: [0, 1, 0], want: [1 / 3, 1 / 3, 1 / 3] },
    { x: [0.2, 0.2, 0.8, 0.8], y: [0, 1, 1, 1], want: [0.5, 0.5, 1, 1] },
  ])('fits $y on $x as $want (pool-adjacent-violators)', ({ x, y, want }) => {
    for (const [i, v] of fitted(x, y).entries()) expect(v).toBeCloseTo(want[i]!, 12);
  });

  it('interpolates linearly between blocks and clips beyond the data', () => {
    const fit = fitIsotonic([0.2, 0.4, 0.6], [0, 0, 1]);
    expect(isotonicPredict(fit, 0)).toBe(0);
    expect(isotonicPredict(fit, 0.5)).toBeCloseTo(0.5, 12);
    expect(isotonicPredict(fit, 0.9)).toBe(1);
  });

  it('is non-decreasing, keeps the mean of y, and never fits worse than any constant', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (pairs) => {
          const x = pairs.map((p) => p[0]);
          const y = pairs.map((p) => p[1]);
          const fit = fitIsotonic(x, y);
          for (let i = 1; i < fit.y.length; i++) expect(fit.y[i]!).toBeGreaterThanOrEqual(fit.y[i - 1]!);
          for (let i = 1; i < fit.x.length; i++) expect(fit.x[i]!).toBeGreaterThanOrEqual(fit.x[i - 1]!);
          const f = x.map((v) => isotonicPredict(fit, v));
          const mean = y.reduce((a, b) => a + b, 0) / y.length;
          expect(f.reduce((a, b) => a + b, 0) / f.length).toBeCloseTo(mean, 9);
          const sse = (g: number[]) => g.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0);
          expect(sse(f)).toBeLessThanOrEqual(sse(y.map(() => mean)) + 1e-9);
        },
      ),
    );
  });
});
