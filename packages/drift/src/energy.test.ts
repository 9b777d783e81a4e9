import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, STAT_REL, sample } from '../test/fixtures.js';
import { energyDistance, energyDistanceDetailed } from './energy.js';

const cases = loadFixtures('wasserstein-energy');

describe('energyDistance parity with scipy.stats.energy_distance', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = energyDistanceDetailed(sample(c.reference), sample(c.current));
    expectClose(d.value, c.expected.energy, STAT_REL, 1e-12, 'energy');
    expect(d.dropped).toEqual(c.expected.dropped);
  });

  it('is 0 for identical samples', () => {
    expect(energyDistance([1, 2, 2, 5], [5, 2, 1, 2])).toBe(0);
  });
});
