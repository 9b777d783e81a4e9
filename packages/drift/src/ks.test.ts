import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, P_REL, STAT_REL, sample } from '../test/fixtures.js';
import { DriftError } from './errors.js';
import { ksTest } from './ks.js';

const cases = loadFixtures('ks');

/** The error `fn` throws; fails the test when it returns instead. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, but the call returned');
}

describe('ksTest parity with scipy.stats.ks_2samp', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = ksTest(sample(c.reference), sample(c.current), c.options as never);
    const e = c.expected as Record<string, unknown>;
    expectClose(res.statistic, e.statistic, STAT_REL, 1e-12, 'statistic');
    expectClose(res.pValue, e.pValue, P_REL, 1e-12, 'pValue');
    expect(res.statisticLocation).toBe(e.statisticLocation);
    expect(res.statisticSign).toBe(e.statisticSign);
    expect(res.dropped).toEqual(e.dropped);
  });
});

describe('ksTest edge cases', () => {
  it.each([
    ['the reference is all missing', [null, Number.NaN], [1, 2], { reference: 0, current: 2 }],
    ['the current sample is empty', [1, 2], [], { reference: 2, current: 0 }],
    ['both are empty', [], [Number.NaN], { reference: 0, current: 0 }],
  ] as const)('throws EMPTY_INPUT when %s', (_case, reference, current, details) => {
    const err = thrown(() => ksTest([...reference], [...current]));
    expect(err).toBeInstanceOf(DriftError);
    expect(err).toMatchObject({ code: 'EMPTY_INPUT', details });
  });

  it('rejects unknown methods with INVALID_INPUT', () => {
    const err = thrown(() => ksTest([1], [2], { method: 'nope' as never }));
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/invalid options/) });
  });

  it('accepts Float64Array input and does not reorder the caller array', () => {
    const a = Float64Array.from([3, 1, 2]);
    ksTest(a, [0.5, 2.5]);
    expect(Array.from(a)).toEqual([3, 1, 2]);
  });

  it('reports the method actually used (auto switches to asymp above 10,000 values)', () => {
    const big = Float64Array.from({ length: 10001 }, (_, i) => i);
    expect(ksTest(big, [1, 2, 3]).method).toBe('asymp');
    expect(ksTest([1, 2, 3], [2, 3, 4]).method).toBe('exact');
  });
});
