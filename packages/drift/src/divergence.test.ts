import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, STAT_REL, sample } from '../test/fixtures.js';
import {
  hellingerDistanceDetailed,
  jensenShannonDistance,
  jensenShannonDistanceDetailed,
  klDivergenceDetailed,
  totalVariationDistance,
  totalVariationDistanceDetailed,
} from './divergence.js';

const cases = loadFixtures('divergence');

describe('binned divergences parity with scipy (jensenshannon, entropy) and numpy', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ref = c.kind === 'categorical' ? (c.reference as string[]) : sample(c.reference);
    const cur = c.kind === 'categorical' ? (c.current as string[]) : sample(c.current);
    const o = c.options as never;
    const js = jensenShannonDistanceDetailed(ref, cur, o);
    expectClose(js.value, c.expected.jensenShannon, STAT_REL, 1e-12, 'js');
    expect(js.dropped).toEqual(c.expected.dropped);
    expectClose(klDivergenceDetailed(ref, cur, o).value, c.expected.kl, STAT_REL, 1e-12, 'kl');
    expectClose(hellingerDistanceDetailed(ref, cur, o).value, c.expected.hellinger, STAT_REL, 1e-12, 'hellinger');
    expectClose(totalVariationDistanceDetailed(ref, cur, o).value, c.expected.totalVariation, STAT_REL, 1e-12, 'tv');
  });
});

describe('divergence behaviour', () => {
  it('uses base e by default and base 2 on request (bounded by 1)', () => {
    const a = ['x', 'x', 'x'];
    const b = ['y', 'y'];
    expect(jensenShannonDistance(a, b, { base: 2 })).toBeLessThanOrEqual(1);
    expect(jensenShannonDistance(a, b)).toBeCloseTo(jensenShannonDistance(a, b, { base: 2 }) * Math.sqrt(Math.LN2), 12);
  });

  it('total variation is 1 for disjoint categories and 0 for equal shares', () => {
    expect(totalVariationDistance(['a', 'a'], ['b'])).toBe(1);
    expect(totalVariationDistance(['a', 'b'], ['b', 'a', 'a', 'b'])).toBe(0);
  });
});
