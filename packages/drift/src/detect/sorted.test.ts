import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { seededRandom } from '../profile/rng.js';
import { equalEdges, histogram } from '../profile/summary.js';
import { sortedHistogram, sortFloat64, unsortedHistogram } from './sorted.js';

describe('sortedHistogram', () => {
  it('matches the linear histogram, last bin closed', () => {
    const values = normalSample(5000, 0, 1, 1);
    const sorted = Float64Array.from(values).sort();
    const edges = equalEdges(sorted[0]!, sorted[sorted.length - 1]!, 20);
    const counts = sortedHistogram(sorted, edges);
    expect(counts.reduce((s, x) => s + x, 0)).toBe(5000);
    expect(counts).toEqual(histogram(values, edges[0]!, edges[20]!, 20));
  });

  it('counts values on inner edges in the upper bin', () => {
    expect(sortedHistogram(Float64Array.from([0, 1, 1, 2]), [0, 1, 2])).toEqual([1, 3]);
  });
});

describe('unsortedHistogram', () => {
  it('counts exactly as sortedHistogram, values on edges included, whatever the order', () => {
    const random = seededRandom(3);
    for (const gen of [() => random() * 10, () => Math.round(random() * 40) / 4, () => Math.exp(5 * random())]) {
      const values = Float64Array.from({ length: 20_000 }, gen);
      const sorted = values.slice().sort();
      for (const bins of [1, 7, 20, 40]) {
        const edges = equalEdges(sorted[0]!, sorted[sorted.length - 1]!, bins);
        expect(unsortedHistogram(values, edges)).toEqual(sortedHistogram(sorted, edges));
        // every edge itself, and values just around the edges
        const probes = Float64Array.from(edges.flatMap((e) => [e, e - 1e-12, e + 1e-12, e * (1 + 1e-16)]));
        expect(unsortedHistogram(probes, edges)).toEqual(sortedHistogram(probes.slice().sort(), edges));
      }
    }
  });
});

describe('sortFloat64', () => {
  const random = seededRandom(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  it.each([
    { name: 'normal', gen: normal },
    { name: 'uniform', gen: () => random() * 100 - 50 },
    { name: 'log-normal (skewed)', gen: () => Math.exp(3 * normal()) },
    { name: 'heavy ties', gen: () => Math.round(normal() * 2) },
    { name: 'two clusters', gen: () => (random() < 0.5 ? 0 : 1e6) + normal() },
    { name: 'constant', gen: () => 4.2 },
    { name: 'huge range', gen: () => (random() - 0.5) * 1e308 },
  ])('sorts $name samples like the built-in sort', ({ gen }) => {
    for (const n of [10, 300, 1567, 20_000]) {
      const values = Float64Array.from({ length: n }, gen);
      expect(Array.from(sortFloat64(values.slice()))).toEqual(Array.from(values.slice().sort()));
    }
  });
});
