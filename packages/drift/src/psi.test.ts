import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, STAT_REL, sample } from '../test/fixtures.js';
import { cleanSample } from './clean-sample.js';
import { psi, psiBins } from './psi.js';

const cases = loadFixtures('psi');

describe('psi parity with the numpy reference of issue 5', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ref = sample(c.reference);
    const cur = sample(c.current);
    expectClose(psi(ref, cur, c.options as never), c.expected.value, STAT_REL, 1e-12, 'psi');
    expect({ reference: cleanSample(ref).dropped, current: cleanSample(cur).dropped }).toEqual(c.expected.dropped);
  });
});

describe('psi behaviour', () => {
  it('is 0 for identical samples and positive for shifted ones', () => {
    const a = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 3);
    expect(psi(a, a)).toBe(0);
    expect(
      psi(
        a,
        a.map((v) => v + 1),
      ),
    ).toBeGreaterThan(0.1);
  });

  it('merges repeated quantile edges (a constant reference gives one or two bins, not ten)', () => {
    const b = psiBins([1, 1, 1, 1, 1], [1, 2, 3], { bins: 10 });
    expect(b.reference.length).toBe(2);
    expect(b.reference[0]).toBe(1e-4);
  });

  it('does not count NaN as zero', () => {
    const withNaN = psi([0, 1, 2, 3, Number.NaN, Number.NaN], [0, 1, 2, 3], { bins: 2 });
    const clean = psi([0, 1, 2, 3], [0, 1, 2, 3], { bins: 2 });
    expect(withNaN).toBe(clean);
  });

  it('throws EMPTY_INPUT for an all-missing sample', () => {
    expect(() => psi([null, undefined], [1])).toThrowError(/empty/);
  });
});
