import { describe, expect, it } from 'vitest';
import { columnDropper, loadColumnDropper } from './column-dropper.js';

const train = {
  sensor1: [1, 2, 3, 4, 5, 6],
  mostlyMissing: [1, null, null, Number.NaN, null, 2],
  halfMissing: [1, 2, 3, null, null, null],
  constant: [7, 7, 7, null, 7, 7],
  nearConstant: [1, 1, 1, 1, 1, 1.001],
  text: ['a', 'b', 'a', 'b', 'a', 'b'],
};

describe('columnDropper', () => {
  it('drops mostly-missing and constant columns and remembers the kept list', () => {
    const f = columnDropper().fit(train);
    expect(f.kept).toEqual(['sensor1', 'nearConstant', 'text']);
    expect(f.dropped.map((d) => [d.name, d.reason])).toEqual([
      ['mostlyMissing', 'missing'],
      ['halfMissing', 'missing'],
      ['constant', 'constant'],
    ]);
    expect(f.dropped[0]!.value).toBeCloseTo(4 / 6, 15);
  });

  it('drops near-constant numeric columns below a variance threshold', () => {
    const f = columnDropper({ varianceThreshold: 1e-5, maxMissingShare: 0.9 }).fit(train);
    expect(f.kept).toEqual(['sensor1', 'mostlyMissing', 'halfMissing', 'text']);
    expect(f.dropped.find((d) => d.name === 'nearConstant')!.reason).toBe('low_variance');
  });

  it('keeps the fitted columns at transform, whatever extra columns arrive', () => {
    const f = columnDropper({ columns: ['constant', 'sensor1'] }).fit(train);
    expect(f.kept).toEqual(['sensor1', 'mostlyMissing', 'halfMissing', 'nearConstant', 'text']);
    const out = loadColumnDropper(JSON.parse(JSON.stringify(f))).transform({ ...train, extra: [0, 0, 0, 0, 0, 0] });
    expect(Object.keys(out)).toEqual(f.kept);
  });

  it('refuses data missing a kept column', () => {
    const f = columnDropper().fit(train);
    expect(() => f.transform({ sensor1: [1], text: ['a'] })).toThrow(/missing column "nearConstant"/);
  });
});
