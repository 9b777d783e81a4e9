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

  it('rejects invalid windows', () => {
    expect(() => createDriftMonitor({ reference, window: { type: 'tumbling', size: 1 } })).toThrow(/window.size/);
    expect(() => createDriftMonitor({ reference, window: { type: 'sliding', size: 10, step: 0 } })).toThrow(/step/);
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
