import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, parseRetryAfter, retryAfterOf } from './retry.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [null, undefined],
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['soon', undefined],
    ['0', 0],
    ['3', 3000],
    [' 3 ', 3000],
    ['1.5', 1500],
    ['Thu, 01 Jan 2026 00:00:02 GMT', 2000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('retryAfterOf', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('prefers retry-after-ms, then Retry-After', () => {
    expect(retryAfterOf(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }))).toBe(250);
    expect(retryAfterOf(new Headers({ 'retry-after-ms': '12.6' }))).toBe(13);
    expect(retryAfterOf(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterOf(new Headers())).toBeUndefined();
  });

  it('falls back to Retry-After when retry-after-ms is unusable, and reads HTTP dates', () => {
    expect(retryAfterOf(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterOf(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
  });
});

describe('backoffDelay', () => {
  const b = { initialMs: 100, maxMs: 1000, factor: 2 };
  it('grows exponentially within [d/2, d] and is capped', () => {
    expect(backoffDelay(0, b, () => 0)).toBe(50);
    expect(backoffDelay(0, b, () => 1)).toBe(100);
    expect(backoffDelay(1, b, () => 0.5)).toBe(150);
    expect(backoffDelay(2, b, () => 0)).toBe(200);
    expect(backoffDelay(2, b, () => 1)).toBe(400);
    expect(backoffDelay(10, b, () => 1)).toBe(1000);
    expect(backoffDelay(10, b, () => 0)).toBe(500);
  });

  it('uses the factor and stays within [d/2, d] with the default random source', () => {
    expect(backoffDelay(2, { initialMs: 10, maxMs: 10_000, factor: 3 }, () => 1)).toBe(90);
    for (let n = 0; n < 20; n++) {
      const d = Math.min(b.maxMs, b.initialMs * b.factor ** n);
      const delay = backoffDelay(n, b);
      expect(delay).toBeGreaterThanOrEqual(d / 2);
      expect(delay).toBeLessThanOrEqual(d);
    }
  });
});

describe('isRetryableStatus', () => {
  it.each([
    [500, true],
    [502, true],
    [503, true],
    [599, true],
    [429, true],
    [425, true],
    [408, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
  ])('%i → %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});
