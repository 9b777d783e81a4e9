import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, P_REL, STAT_REL, sample } from '../test/fixtures.js';
import { andersonDarling } from './anderson-darling.js';

const cases = loadFixtures('anderson-darling');

describe('andersonDarling parity with scipy.stats.anderson_ksamp', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = andersonDarling(sample(c.reference), sample(c.current));
    expectClose(res.statistic, c.expected.statistic, STAT_REL, 1e-12, 'statistic');
    expectClose(res.pValue, c.expected.pValue, P_REL, 1e-12, 'pValue');
    (c.expected.criticalValues as number[]).forEach((v, i) => {
      expectClose(res.criticalValues[i]!, v, STAT_REL, 1e-12, `critical[${i}]`);
    });
    expect(res.dropped).toEqual(c.expected.dropped);
  });
});

describe('andersonDarling behaviour', () => {
  it('caps the significance level to [0.001, 0.25] like scipy and says so', () => {
    const same = andersonDarling([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]);
    expect(same.pValue).toBe(0.25);
    expect(same.pValueCapped).toBe(true);
  });

  it('rejects samples with a single distinct value', () => {
    expect(() => andersonDarling([1, 1], [1, 1])).toThrowError(/distinct/);
  });
});
