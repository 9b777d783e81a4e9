import { describe, expect, it } from 'vitest';
import { sentences } from '../../test/helpers.js';
import { detectDrift } from './detect-drift.js';
import { textDrift } from './text-drift.js';

const it_words =
  'printer toner paper jam scanner laptop screen keyboard mouse monitor cable dock battery charger'.split(' ');
const net_words = 'vpn wifi network router firewall dns proxy latency packet switch ethernet gateway'.split(' ');
const common = 'the my is not working since today please help urgent again'.split(' ');

describe('textDrift', () => {
  const reference = sentences(300, [...it_words, ...common], 10, 1);

  it('detects a shifted vocabulary', () => {
    const current = sentences(300, [...net_words, ...common], 10, 2);
    const r = textDrift(reference, current);
    expect(r.drifted).toBe(true);
    expect(r.auc).toBeGreaterThan(0.9);
    expect(r.auc).toBeGreaterThan(r.permutationBaseline);
    expect(r.outOfVocabularyRate).toBeGreaterThan(0.3);
    expect(r.tokenDistance).toBeGreaterThan(0.3);
    expect(net_words).toContain(r.topCurrentTokens[0]);
  });

  it('leaves English stop-words out of the token histogram and the typical tokens (the figures keep them)', () => {
    const current = sentences(300, [...net_words, ...common], 10, 2);
    const r = textDrift(reference, current);
    if (r.histogram.kind !== 'categorical') throw new Error('expected a categorical histogram');
    // "the", "my", "is", "not" are among the most frequent tokens of both sides, and not shown
    expect(r.histogram.labels.length).toBeGreaterThan(10);
    for (const stop of ['the', 'my', 'is', 'not', 'again']) {
      expect(r.histogram.labels).not.toContain(stop);
      expect(r.topCurrentTokens).not.toContain(stop);
    }
    expect(r.histogram.labels).toEqual(expect.arrayContaining(['working', 'urgent', 'vpn', 'printer']));
    // the same data without the filter in the figures: a stop-word-only shift is still measured
    const shifted = textDrift(
      sentences(300, ['the', 'a', 'of', 'printer'], 6, 5),
      sentences(300, ['is', 'are', 'to', 'printer'], 6, 6),
    );
    expect(shifted.drifted).toBe(true);
    if (shifted.histogram.kind === 'categorical') expect(shifted.histogram.labels).toEqual(['printer']);
  });

  it('finds no drift in text from the same distribution', () => {
    const current = sentences(300, [...it_words, ...common], 10, 3);
    const r = textDrift(reference, current);
    expect(r.drifted).toBe(false);
    expect(r.auc).toBeLessThan(0.6);
    expect(r.outOfVocabularyRate).toBe(0);
    expect(r.tokenDistance).toBeLessThan(0.1);
  });

  it('is reproducible from its seed', () => {
    const current = sentences(200, [...it_words, ...net_words, ...common], 10, 4);
    expect(textDrift(reference, current, { seed: 5 })).toEqual(textDrift(reference, current, { seed: 5 }));
  });

  it('rejects options out of range with INVALID_INPUT and the field (a NaN threshold read as "no drift")', () => {
    const current = sentences(40, [...net_words, ...common], 10, 5);
    const small = reference.slice(0, 40);
    for (const options of [
      { threshold: Number.NaN },
      { threshold: -1 },
      { threshold: 2 },
      { permutations: -1 },
      { permutations: 1e9 }, // hung for minutes before
      { permutations: 2.5 },
      { seed: Number.NaN },
      { features: 0 },
      { maxDocuments: 1 },
      { topTokens: -3 },
      { histogramTokens: -1 },
      { bogus: 1 },
    ]) {
      expect(() => textDrift(small, current, options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({
          name: 'DriftError',
          code: 'INVALID_INPUT',
          message: expect.stringContaining(Object.keys(options)[0]!),
        }),
      );
    }
    // detectDrift's text options are the same ones
    expect(() =>
      detectDrift({ t: small }, { t: current }, { columnMapping: { text: ['t'] }, text: { permutations: -1 } }),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('text.permutations') }),
    );
  });

  it('needs at least two documents per side', () => {
    expect(() => textDrift(['one document'], reference)).toThrow(/at least 2 documents/);
  });
});
