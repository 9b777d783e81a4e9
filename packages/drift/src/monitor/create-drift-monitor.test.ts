import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { createProfile } from '../profile/create-profile.js';
import { createDriftMonitor, type DriftEvent } from './create-drift-monitor.js';
import { numberRing, stringRing } from './ring-buffer.js';

const reference = { x: normalSample(1000, 0, 1, 1), y: normalSample(1000, 10, 2, 2) };
const records = (n: number, shift: number, seed: number) => {
  const x = normalSample(n, shift, 1, seed);
  const y = normalSample(n, 10, 2, seed + 1000);
  return x.map((v, i) => ({ x: v, y: y[i] }));
};

describe('createDriftMonitor', () => {
  it('emits drift events for shifted windows only (tumbling)', () => {
    const drifts: DriftEvent[] = [];
    const evaluated: DriftEvent[] = [];
    const monitor = createDriftMonitor({
      reference,
      window: { type: 'tumbling', size: 200 },
      onDrift: (e) => drifts.push(e),
      onEvaluation: (e) => evaluated.push(e),
      options: { datasetDriftShare: 0.5 },
    });
    const events = monitor.updateBatch([...records(400, 0, 10), ...records(400, 1.5, 20)]);
    expect(events.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(evaluated).toHaveLength(4);
    expect(drifts.map((e) => e.index)).toEqual([2, 3]);
    expect(drifts[0]!.driftedColumns).toEqual(['x']);
    expect(drifts[0]!.updates).toBe(600);
    expect(drifts[0]!.report.dataset.drifted).toBe(true);
    expect(monitor.stats()).toMatchObject({
      updates: 800,
      evaluations: 4,
      driftEvents: 2,
      buffered: 0,
      lastShare: 0.5,
    });
  });

  it('evaluates a sliding window every step once it is full', () => {
    const monitor = createDriftMonitor({ reference, window: { type: 'sliding', size: 100, step: 25 } });
    const events = monitor.updateBatch(records(300, 0, 30));
    expect(events.map((e) => e.updates)).toEqual([100, 125, 150, 175, 200, 225, 250, 275, 300]);
    expect(events.every((e) => e.windowSize === 100)).toBe(true);
  });

  it('keeps memory bounded by the window', () => {
    const size = 64;
    const monitor = createDriftMonitor({
      reference: createProfile(reference),
      window: { type: 'sliding', size, step: 500 },
    });
    let maxBuffered = 0;
    for (const r of records(5000, 0, 40)) {
      monitor.update(r);
      const s = monitor.stats();
      maxBuffered = Math.max(maxBuffered, s.buffered);
      expect(s.bufferCapacity).toBeLessThanOrEqual(size);
    }
    expect(maxBuffered).toBe(size);
    expect(monitor.stats().updates).toBe(5000);
  });

  it('treats missing fields as missing values and flushes a partial window', () => {
    const monitor = createDriftMonitor({ reference, window: { type: 'tumbling', size: 1000 } });
    monitor.updateBatch(records(50, 0, 50).map((r, i) => (i % 10 === 0 ? { y: r.y } : r)));
    const event = monitor.flush()!;
    expect(event.windowSize).toBe(50);
    expect(event.report.columns[0]!.current).toEqual({ size: 45, missing: 5 });
    expect(monitor.stats().buffered).toBe(0);
    expect(monitor.flush()).toBeNull();
  });

  it('reports a window of a broken feed as broken, not as "no drift", and calls onBroken instead of onDrift', () => {
    const broken: DriftEvent[] = [];
    const drifts: DriftEvent[] = [];
    const monitor = createDriftMonitor({
      reference: createProfile(reference),
      window: { type: 'tumbling', size: 200 },
      onBroken: (e) => broken.push(e),
      onDrift: (e) => drifts.push(e),
    });
    // window 0 healthy; window 1: y renamed to y2; window 2: x as words; window 3: x as decimal strings
    const ok = monitor.updateBatch(records(200, 0, 60));
    const renamed = monitor.updateBatch(records(200, 0, 61).map(({ x, y }) => ({ x, y2: y })));
    const words = monitor.updateBatch(records(200, 0, 62).map(({ x, y }) => ({ x: `${x} cm`, y })));
    const strings = monitor.updateBatch(records(200, 0, 63).map(({ x, y }) => ({ x: String(x), y })));
    expect(ok[0]!.status).toBe('ok');
    expect(renamed[0]!.status).toBe('broken');
    expect(renamed[0]!.report.dataset.drifted).toBeNull();
    expect(renamed[0]!.report.schema).toMatchObject({ missing: ['y'], new: ['y2'], empty: [] });
    expect(words[0]!.report.schema.typeChanged).toEqual([
      { column: 'x', expected: 'numerical', found: ['string'], invalid: 200, examples: expect.any(Array) },
    ]);
    expect(words[0]!.report.schema.typeChanged[0]!.examples[0]).toMatch(/ cm$/);
    expect(words[0]!.report.schema.new).toEqual([]);
    expect(strings[0]!.status).toBe('ok');
    expect(strings[0]!.report.schema.converted).toEqual([{ column: 'x', from: 'string', to: 'numerical', count: 200 }]);
    // records that carry none of the reference's keys: every column missing, not an empty feed
    const none = monitor.updateBatch(records(200, 0, 64).map(({ x, y }) => ({ a: x, b: y })));
    expect(none[0]!.report.schema).toMatchObject({ missing: ['x', 'y'], empty: [], new: ['a', 'b'] });
    expect(none[0]!.report.current.rows).toBe(200);
    expect(monitor.stats().lastStatus).toBe('broken');
    const fixed = monitor.updateBatch(records(200, 0, 65));
    expect(fixed[0]!.report.schema.new).toEqual([]); // a and b left with the last tumbling window
    expect(broken.map((e) => e.index)).toEqual([1, 2, 4]);
    expect(drifts).toEqual([]);
    expect(monitor.stats()).toMatchObject({ evaluations: 6, brokenEvents: 3, driftEvents: 0, lastStatus: 'ok' });
  });

  it('counts schema problems per sliding window: a fixed feed recovers once the bad records leave the window', () => {
    const monitor = createDriftMonitor({ reference, window: { type: 'sliding', size: 100, step: 50 } });
    const events = monitor.updateBatch([
      ...records(100, 0, 70),
      ...records(50, 0, 71).map(({ x, y }) => ({ x: { value: x }, y })),
      ...records(150, 0, 72),
    ]);
    expect(events.map((e) => e.status)).toEqual(['ok', 'broken', 'broken', 'ok', 'ok']);
    expect(events[1]!.report.schema.typeChanged[0]).toMatchObject({ column: 'x', found: ['object'], invalid: 50 });
    expect(events[2]!.report.schema.typeChanged[0]).toMatchObject({ invalid: 50 });
  });

  it('reads a column named "__proto__" (an own key of JSON records) instead of reporting it missing', () => {
    const rows = records(100, 0, 80).map(({ x, y }) => JSON.parse(`{"__proto__": ${x}, "y": ${y}}`));
    const monitor = createDriftMonitor({ reference: createProfile(rows), window: { type: 'tumbling', size: 50 } });
    const events = monitor.updateBatch(rows);
    expect(events.map((e) => e.status)).toEqual(['ok', 'ok']);
    expect(events[0]!.report.schema.missing).toEqual([]);
    expect(events[0]!.report.columns.map((c) => c.column)).toEqual(['__proto__', 'y']);
  });

  it('rejects invalid windows', () => {
    expect(() => createDriftMonitor({ reference, window: { type: 'tumbling', size: 1 } })).toThrow(/window.size/);
    expect(() => createDriftMonitor({ reference, window: { type: 'sliding', size: 10, step: 0 } })).toThrow(/step/);
  });

  it('rejects an unknown window type and a size no buffer can hold with INVALID_INPUT', () => {
    for (const window of [
      { type: 'hopping', size: 10 }, // was accepted (and run as a sliding window)
      { type: 'tumbling', size: 1e10 }, // was a RangeError from the typed-array constructor
    ]) {
      expect(() => createDriftMonitor({ reference, window: window as never }), JSON.stringify(window)).toThrow(
        expect.objectContaining({
          name: 'DriftError',
          code: 'INVALID_INPUT',
          message: expect.stringMatching(/window/),
        }),
      );
    }
  });
});

describe('ring buffers', () => {
  it('keep the last `capacity` values in arrival order', () => {
    const nums = numberRing(3);
    const strs = stringRing(3);
    for (let i = 1; i <= 5; i++) {
      nums.push(i);
      strs.push(String(i));
    }
    expect(Array.from(nums.toArray())).toEqual([3, 4, 5]);
    expect(strs.toArray()).toEqual(['3', '4', '5']);
    expect(nums.length).toBe(3);
    nums.clear();
    expect(nums.toArray()).toHaveLength(0);
  });
});
