import { describe, expect, it } from 'vitest';
import { reliability } from './reliability.js';

describe('reliability', () => {
  it('bins confidences, reports each bin and the count-weighted calibration gap', () => {
    // Bin (0.5, 0.6]: 0.55, 0.55 with one right → gap 0.05; bin (0.9, 1]: 0.95 × 2, both right → gap 0.05.
    const r = reliability([0.55, 0.55, 0.95, 0.95], [true, false, true, true], 10);
    expect(r.bins).toHaveLength(2);
    expect(r.bins[0]).toMatchObject({ lower: 0.5, count: 2, accuracy: 0.5 });
    expect(r.bins[0]!.upper).toBeCloseTo(0.6, 12);
    expect(r.bins[0]!.meanConfidence).toBeCloseTo(0.55, 12);
    expect(r.bins[1]).toMatchObject({ lower: 0.9, upper: 1, count: 2, accuracy: 1 });
    expect(r.ece).toBeCloseTo(0.05, 12);
  });

  it('is 0 for confidences that match their accuracy, and puts 0 and 1 in the outer bins', () => {
    const r = reliability([0, 1, 1, 0.5, 0.5], [0, 1, 1, 1, 0], 4);
    expect(r.ece).toBeCloseTo(0, 12);
    expect(r.bins.map((b) => [b.lower, b.count])).toEqual([
      [0, 1],
      [0.25, 2],
      [0.75, 2],
    ]);
  });

  it('rejects empty input and mismatched lengths', () => {
    expect(() => reliability([], [])).toThrow(/no predictions/);
    expect(() => reliability([0.5], [true, false])).toThrow(/labels has 2 entries/);
    expect(() => reliability([0.5], [true], 0)).toThrow(/bins/);
  });
});
