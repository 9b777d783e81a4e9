import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { FrequentItems } from './frequent.js';
import { HyperLogLog } from './hll.js';

describe('HyperLogLog', () => {
  it('estimates distinct counts within 3 standard errors (1.6 % each)', () => {
    for (const n of [100, 5_000, 200_000]) {
      const h = new HyperLogLog();
      const r = xorshift(n);
      for (let i = 0; i < n; i++) {
        const x = r() * 1e6;
        h.addNumber(x);
        h.addNumber(x); // duplicates do not count
      }
      expect(Math.abs(h.estimate() - n) / n, `n = ${n}`).toBeLessThanOrEqual(3 * 0.0163);
    }
  });

  it('merges into the count of the union (shared values once) and survives base64', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 30_000; i++) a.addString(`id-${i}`);
    for (let i = 20_000; i < 50_000; i++) b.addString(`id-${i}`);
    const u = HyperLogLog.fromBase64(a.toBase64()).merge(HyperLogLog.fromBase64(b.toBase64()));
    expect(Math.abs(u.estimate() - 50_000) / 50_000).toBeLessThanOrEqual(0.05);
    expect(() => HyperLogLog.fromBase64('AAAA')).toThrow(RangeError);
  });

  it('counts 0 and -0 as one value', () => {
    const h = new HyperLogLog();
    h.addNumber(0);
    h.addNumber(-0);
    expect(h.estimate()).toBe(1);
  });
});

describe('FrequentItems', () => {
  it('is exact while few values are seen', () => {
    const f = new FrequentItems(10);
    for (const v of ['a', 'b', 'a', 'c', 'a']) f.add(v);
    expect(f.error).toBe(0);
    expect(Object.fromEntries(f.counts)).toEqual({ a: 3, b: 1, c: 1 });
  });

  it('keeps heavy hitters with counts at most `error` ≤ N/(capacity+1) below the truth, and merges', () => {
    const r = xorshift(42);
    const truth = new Map<string, number>();
    const parts = [new FrequentItems(50), new FrequentItems(50)];
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      // a few heavy values and a long tail of rare ones
      const v = r() < 0.5 ? `h${Math.floor(r() * 5)}` : `t${Math.floor(r() * 50_000)}`;
      truth.set(v, (truth.get(v) ?? 0) + 1);
      parts[i % 2]!.add(v);
    }
    const merged = parts[0]!.merge(parts[1]!);
    merged.shrink();
    expect(merged.total).toBe(n);
    expect(merged.error).toBeGreaterThan(0);
    expect(merged.error).toBeLessThanOrEqual(n / 51);
    for (const [v, c] of truth) {
      const kept = merged.counts.get(v) ?? 0;
      expect(kept).toBeLessThanOrEqual(c);
      expect(c - kept).toBeLessThanOrEqual(merged.error);
    }
    for (let h = 0; h < 5; h++) expect(merged.counts.has(`h${h}`)).toBe(true);
  });
});
