import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import type { ClassLabel } from './_labels.js';
import { prAuc, rocAuc } from './ranking.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/metrics.json', import.meta.url), 'utf8'));

interface BinaryCase {
  name: string;
  yTrue: ClassLabel[];
  scores: number[];
  posLabel: ClassLabel;
  expected: { rocAuc: number | null; prAuc: number };
}
interface MulticlassCase {
  name: string;
  yTrue: ClassLabel[];
  labels: ClassLabel[];
  scores: number[][];
  expected: { rocAucMacro: number; rocAucWeighted: number; prAucMacro: number; prAucWeighted: number };
}

function expectClose(actual: number, expected: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1e-12, 1e-9 * Math.abs(expected)));
}

describe('rocAuc / prAuc (sklearn parity)', () => {
  it.each(fx.ranking as BinaryCase[])('binary: $name', (c) => {
    const opts = { posLabel: c.posLabel };
    if (c.expected.rocAuc === null) expect(() => rocAuc(c.yTrue, c.scores, opts)).toThrow(/single class/);
    else expectClose(rocAuc(c.yTrue, c.scores, opts), c.expected.rocAuc);
    expectClose(prAuc(c.yTrue, c.scores, opts), c.expected.prAuc);
  });

  it.each(fx.multiclass as MulticlassCase[])('one-vs-rest: $name', (c) => {
    const rows = c.scores.map((r) => Float64Array.from(r));
    expectClose(rocAuc(c.yTrue, rows, { labels: c.labels }), c.expected.rocAucMacro);
    expectClose(rocAuc(c.yTrue, c.scores, { average: 'weighted' }), c.expected.rocAucWeighted);
    expectClose(prAuc(c.yTrue, c.scores, { labels: c.labels }), c.expected.prAucMacro);
    expectClose(prAuc(c.yTrue, c.scores, { average: 'weighted' }), c.expected.prAucWeighted);
  });

  it('takes the greater label as positive by default', () => {
    const y = ['pass', 'fail', 'pass', 'fail'];
    const s = [0.9, 0.1, 0.6, 0.7];
    expect(rocAuc(y, s)).toBe(0.75);
    expect(rocAuc(y, s, { posLabel: 'fail' })).toBe(0.25);
  });

  it('refuses bad shapes and undefined cases with INVALID_INPUT', () => {
    const cases: (() => unknown)[] = [
      () => rocAuc([0, 1], [0.5]),
      () => rocAuc([0, 1], [0.5, Number.NaN]),
      () => rocAuc(['a', 'b', 'c'], [0.1, 0.2, 0.3]),
      () => rocAuc(['a', 'a'], [0.1, 0.2]),
      () => rocAuc(['a', 'b'], [[0.1], [0.2]]),
      () =>
        rocAuc(
          ['a', 'a', 'b'],
          [
            [0.9, 0.1],
            [0.8, 0.2],
            [0.7, 0.3],
          ],
          { labels: ['a', 'b', 'c'] },
        ),
    ];
    for (const f of cases) {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
      }
    }
  });
});
