import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, P_REL, STAT_REL, sample } from '../test/fixtures.js';
import { cramerVonMises } from './cramer-von-mises.js';

const cases = loadFixtures('cramer-von-mises');

describe('cramerVonMises parity with scipy.stats.cramervonmises_2samp', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = cramerVonMises(sample(c.reference), sample(c.current), c.options as never);
    expectClose(res.statistic, c.expected.statistic, STAT_REL, 1e-12, 'statistic');
    expectClose(res.pValue, c.expected.pValue, P_REL, 1e-12, 'pValue');
    expect(res.dropped).toEqual(c.expected.dropped);
  });
});

describe('cramerVonMises behaviour', () => {
  it('needs two observations per sample', () => {
    expect(() => cramerVonMises([1], [1, 2])).toThrowError(/two observations/);
  });
});
