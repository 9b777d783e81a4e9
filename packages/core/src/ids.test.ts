import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('timeOrderedId', () => {
  it('gives unique version-7 UUIDs that carry their creation time and sort by it across milliseconds', async () => {
    const before = Date.now();
    const ids: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) ids.push(timeOrderedId());
      await new Promise((r) => setTimeout(r, 3));
    }
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    const times = ids.map(msOf);
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times.at(-1)).toBeLessThanOrEqual(after);
    // the time prefix never goes back, so ids of different milliseconds sort in creation order
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
    const later = ids.filter((id) => msOf(id) > times[0]!);
    expect(later.length).toBeGreaterThan(0);
    for (const id of later) expect(id > ids[0]!).toBe(true);
  });

  it('keeps 74 random bits: ids made in one millisecond differ beyond the time prefix', () => {
    const ids = Array.from({ length: 100 }, () => timeOrderedId());
    const sameMs = ids.filter((id) => msOf(id) === msOf(ids[0]!));
    expect(new Set(sameMs.map((id) => id.slice(15))).size).toBe(sameMs.length);
  });
});
