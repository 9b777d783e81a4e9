import { describe, expect, it } from 'vitest';
import { seededRandom, shuffle, stratifiedSample, stratifiedSplit } from './split.js';

describe('seeded splits', () => {
  it('seededRandom repeats for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = Array.from({ length: 50 }, seededRandom(7));
    const b = Array.from({ length: 50 }, seededRandom(7));
    const c = Array.from({ length: 50 }, seededRandom(8));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('shuffle permutes in place', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const out = shuffle(items, seededRandom(1));
    expect(out).toBe(items);
    expect([...out].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(out).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('stratifiedSplit keeps each class share, covers every row once, and is reproducible', () => {
    const labels = [...Array(80).fill('a'), ...Array(20).fill('b')] as string[];
    const { train, test } = stratifiedSplit(labels, 0.25, 3);
    expect(test.filter((i) => labels[i] === 'a')).toHaveLength(20);
    expect(test.filter((i) => labels[i] === 'b')).toHaveLength(5);
    expect([...train, ...test].sort((x, y) => x - y)).toEqual(labels.map((_, i) => i));
    expect(stratifiedSplit(labels, 0.25, 3)).toEqual({ train, test });
    expect(stratifiedSplit(labels, 0.25, 4).test).not.toEqual(test);
  });

  it('stratifiedSample returns at most n rows with the class shares, or every row', () => {
    const labels = [...Array(90).fill('x'), ...Array(10).fill('y')] as string[];
    const sample = stratifiedSample(labels, 20, 1);
    expect(sample).toHaveLength(20);
    expect(sample.filter((i) => labels[i] === 'y')).toHaveLength(2);
    expect(stratifiedSample(labels, 500, 1)).toHaveLength(100);
  });
});
