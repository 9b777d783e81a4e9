import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, P_REL, STAT_REL } from '../test/fixtures.js';
import { zTestProportions } from './z-test.js';

const cases = loadFixtures('z-test');

describe('zTestProportions parity with Evidently 0.7 z-test (computed with numpy/scipy)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = zTestProportions(c.reference as string[], c.current as string[], c.options as never);
    expectClose(res.statistic, c.expected.statistic, STAT_REL, 1e-12, 'statistic');
    expectClose(res.pValue, c.expected.pValue, P_REL, 1e-12, 'pValue');
    expectClose(res.referenceShare, c.expected.referenceShare, STAT_REL, 0, 'referenceShare');
    expect(res.dropped).toEqual(c.expected.dropped);
  });
});

describe('zTestProportions behaviour', () => {
  it('gives p = 1 for identical single-category samples', () => {
    expect(zTestProportions(['a', 'a'], ['a']).pValue).toBe(1);
  });

  it('is symmetric in the category for binary data', () => {
    const r = ['y', 'y', 'n', 'y', 'n', 'y'];
    const c = ['n', 'n', 'n', 'y'];
    expect(zTestProportions(r, c, { category: 'y' }).pValue).toBeCloseTo(
      zTestProportions(r, c, { category: 'n' }).pValue,
      12,
    );
  });
});
