import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './ids.js';

describe('timeOrderedId', () => {
  it('gives unique version-7 UUIDs that sort in creation order and carry the creation time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => timeOrderedId());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids.toSorted()).toEqual(ids);
    const ms = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(ms(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(ms(ids.at(-1)!)).toBeLessThanOrEqual(after);
  });
});
