import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { accuracy, precisionRecallF1 } from './classification.js';
import {
  createPerformanceMonitor,
  evaluatePerformance,
  type PerformanceEvent,
  type PerformancePair,
} from './performance-monitor.js';
import { rocAuc } from './ranking.js';

/** Deterministic stream: a binary classifier right with probability `quality`. */
function stream(n: number, quality: number, seed = 7): PerformancePair[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: n }, () => {
    const label = rnd() < 0.3 ? 'fail' : 'pass';
    const right = rnd() < quality;
    const prediction = right ? label : label === 'fail' ? 'pass' : 'fail';
    const score = prediction === 'fail' ? 0.5 + rnd() / 2 : rnd() / 2;
    return { prediction, label, score };
  });
}

describe('evaluatePerformance', () => {
  it('computes the same numbers as the metric functions', () => {
    const pairs = stream(400, 0.85);
    const yTrue = pairs.map((p) => p.label);
    const yPred = pairs.map((p) => p.prediction);
    const e = evaluatePerformance(pairs, {
      metrics: ['accuracy', 'macroF1', 'recall:fail', 'rocAuc'],
      posLabel: 'fail',
    });
    expect(e.metrics.accuracy).toBe(accuracy(yTrue, yPred));
    expect(e.metrics.macroF1).toBe(precisionRecallF1(yTrue, yPred).macro.f1);
    expect(e.metrics['recall:fail']).toBe(precisionRecallF1(yTrue, yPred).perClass[0]!.recall);
    expect(e.metrics.rocAuc).toBe(
      rocAuc(
        yTrue,
        pairs.map((p) => p.score as number),
        { posLabel: 'fail' },
      ),
    );
    expect(e.degraded).toBe(false);
  });

  it('flags a drop beyond maxDrop from the baseline and a value under min', () => {
    const pairs = stream(300, 0.7);
    const e = evaluatePerformance(pairs, {
      metrics: ['accuracy', 'macroRecall'],
      baseline: { accuracy: 0.9 },
      thresholds: { accuracy: { maxDrop: 0.05 }, macroRecall: { min: 0.95 } },
    });
    expect(e.breaches.map((b) => [b.metric, b.rule])).toEqual([
      ['accuracy', 'maxDrop'],
      ['macroRecall', 'min'],
    ]);
    expect(e.breaches[0]!.limit).toBeCloseTo(0.85, 12);
    const ok = evaluatePerformance(pairs, {
      metrics: ['accuracy'],
      baseline: { accuracy: e.metrics.accuracy! + 0.04 },
      thresholds: { accuracy: { maxDrop: 0.05 } },
    });
    expect(ok.degraded).toBe(false);
  });

  it('returns null for metrics undefined on the window and reports small windows as insufficient', () => {
    const e = evaluatePerformance(
      [
        { prediction: 'a', label: 'a', score: 0.9 },
        { prediction: 'b', label: 'a', score: 0.1 },
      ],
      { metrics: ['rocAuc', 'accuracy'], thresholds: { accuracy: { min: 0.9 } }, minSamples: 10, posLabel: 'a' },
    );
    expect(e.metrics.rocAuc).toBeNull();
    expect(e.metrics.accuracy).toBe(0.5);
    expect(e.sufficient).toBe(false);
    expect(e.degraded).toBe(false);
  });

  it('refuses unknown metrics and thresholds on metrics it does not compute', () => {
    for (const bad of [
      { metrics: ['accurcy'] },
      { metrics: ['accuracy'], thresholds: { macroF1: { min: 0.5 } } },
      { metrics: ['accuracy'], thresholds: { accuracy: { maxDrop: -1 } } },
    ]) {
      try {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed options
        evaluatePerformance(stream(10, 0.9), bad as any);
        expect.unreachable();
      } catch (e) {
        expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
      }
    }
  });
});

describe('createPerformanceMonitor', () => {
  it('never holds more than the window size, however long the stream', () => {
    for (const type of ['tumbling', 'sliding'] as const) {
      const m = createPerformanceMonitor({ window: { type, size: 50, step: 25 }, metrics: ['accuracy'] });
      let max = 0;
      for (const p of stream(20_000, 0.9)) {
        m.observe(p);
        max = Math.max(max, m.buffered);
      }
      // A tumbling window is scored and emptied as its 50th pair arrives; a sliding one stays full.
      expect(max).toBe(type === 'tumbling' ? 49 : 50);
      expect(m.capacity).toBe(50);
      expect(m.seen).toBe(20_000);
    }
  });

  it('emits one window event per tumbling window with that window’s metrics', () => {
    const events: PerformanceEvent[] = [];
    const m = createPerformanceMonitor({
      window: { type: 'tumbling', size: 100 },
      metrics: ['accuracy'],
      onEvent: (e) => events.push(e),
    });
    const pairs = stream(350, 0.8);
    pairs.forEach((p) => {
      m.observe(p);
    });
    const windows = events.filter((e) => e.type === 'window');
    expect(windows).toHaveLength(3);
    const second = pairs.slice(100, 200);
    expect(windows[1]!.type === 'window' && windows[1]!.evaluation.metrics.accuracy).toBe(
      accuracy(
        second.map((p) => p.label),
        second.map((p) => p.prediction),
      ),
    );
    expect(m.buffered).toBe(50);
    expect(m.current().n).toBe(50);
  });

  it('emits degraded once when accuracy drops by more than 0.05 from the first window, then recovered', () => {
    const events: PerformanceEvent[] = [];
    const m = createPerformanceMonitor({
      window: { type: 'sliding', size: 200, step: 50 },
      metrics: ['accuracy', 'rocAuc'],
      posLabel: 'fail',
      baseline: 'first-window',
      thresholds: { accuracy: { maxDrop: 0.05 } },
      onEvent: (e) => events.push(e),
    });
    for (const p of [...stream(400, 0.92, 1), ...stream(600, 0.6, 2), ...stream(800, 0.93, 3)]) m.observe(p);
    const types = events.filter((e) => e.type !== 'window').map((e) => e.type);
    expect(types).toEqual(['baseline', 'degraded', 'recovered']);
    const baseline = events.find((e) => e.type === 'baseline');
    expect(baseline?.type === 'baseline' && baseline.baseline.accuracy).toBeGreaterThan(0.85);
    const degraded = events.find((e) => e.type === 'degraded');
    if (degraded?.type !== 'degraded') throw new Error('no degraded event');
    expect(degraded.breach.metric).toBe('accuracy');
    expect(degraded.breach.value).toBeLessThan(degraded.breach.baseline! - 0.05);
    expect(m.degradedMetrics).toEqual([]);
  });

  it('uses a given baseline from the start', () => {
    const events: PerformanceEvent[] = [];
    const m = createPerformanceMonitor({
      window: { type: 'tumbling', size: 100 },
      metrics: ['accuracy'],
      baseline: { accuracy: 0.95 },
      thresholds: { accuracy: { maxDrop: 0.05 } },
      onEvent: (e) => events.push(e),
    });
    stream(100, 0.7).forEach((p) => {
      m.observe(p);
    });
    expect(events.map((e) => e.type)).toEqual(['window', 'degraded']);
    expect(m.degradedMetrics).toEqual(['accuracy']);
  });
});
