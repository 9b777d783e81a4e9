import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, P_REL, STAT_REL } from '../test/fixtures.js';
import { chiSquareTest } from './chi-square.js';

const cases = loadFixtures('chi-square');

describe('chiSquareTest parity with scipy chi2_contingency(correction=False) / chisquare', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = chiSquareTest(c.reference as string[], c.current as string[], c.options as never);
    expectClose(res.statistic, c.expected.statistic, STAT_REL, 1e-12, 'statistic');
    expectClose(res.pValue, c.expected.pValue, P_REL, 1e-12, 'pValue');
    expect(res.dof).toBe(c.expected.dof);
    expect(res.dropped).toEqual(c.expected.dropped);
  });
});

describe('chiSquareTest behaviour', () => {
  it('treats numbers as category labels and drops NaN', () => {
    const a = chiSquareTest([1, 2, 2, Number.NaN], [1, 1, 2]);
    const b = chiSquareTest(['1', '2', '2'], ['1', '1', '2']);
    expect(a.statistic).toBe(b.statistic);
    expect(a.dropped.reference).toBe(1);
  });

  it('throws EMPTY_INPUT on empty samples', () => {
    expect(() => chiSquareTest([], ['a'])).toThrowError(/empty/);
  });
});
