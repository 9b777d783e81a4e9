import { describe, expect, it } from 'vitest';
import { syntheticRows } from './_synthetic.fixture.js';
import { applyTemperature, fitTemperature } from './temperature.js';

describe('temperature scaling', () => {
  it.each([
    { sharpness: 1, want: 1 },
    { sharpness: 2.5, want: 2.5 },
    { sharpness: 0.5, want: 0.5 },
  ])('recovers T = $want from a model whose logits are scaled by $sharpness', ({ sharpness, want }) => {
    const rows = syntheticRows({ n: 20_000, k: 4, seed: 3, sharpness });
    const t = fitTemperature(rows.probabilities, Int32Array.from(rows.labels));
    expect(Math.abs(Math.log(t / want))).toBeLessThan(0.08);
  });

  it('keeps the argmax, softens above 1 and survives probabilities of 0', () => {
    const row = [0.7, 0.2, 0.1];
    const soft = applyTemperature(row, 2);
    expect(soft.indexOf(Math.max(...soft))).toBe(0);
    expect(soft[0]!).toBeLessThan(0.7);
    expect(soft.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const [i, v] of applyTemperature(row, 1).entries()) expect(v).toBeCloseTo(row[i]!, 12);
    const zero = applyTemperature([1, 0], 3);
    expect(zero.every(Number.isFinite)).toBe(true);
    expect(zero[1]!).toBeGreaterThan(0);
  });
});
