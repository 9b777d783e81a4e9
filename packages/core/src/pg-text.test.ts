import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isPgText, pgJson, pgJsonIssues, pgText, pgTextProblem } from './pg-text.js';
import { createStore } from './store/create-store.js';
import type { Store } from './store/store.js';

describe('pgTextProblem / isPgText', () => {
  it.each([
    ['', undefined],
    ['vpn down', undefined],
    ['emoji 😀 and ünïcode', undefined],
    ['\uD83D\uDE00', undefined],
    ['a\u0000b', 'Contains U+0000 (NUL) at index 1: PostgreSQL text cannot hold it'],
    ['\uD800', 'Contains a lone UTF-16 surrogate at index 0: not valid Unicode'],
    ['ab\uDC00', 'Contains a lone UTF-16 surrogate at index 2: not valid Unicode'],
    ['x\uD83Dy', 'Contains a lone UTF-16 surrogate at index 1: not valid Unicode'],
  ])('%j → %s', (s, expected) => {
    expect(pgTextProblem(s)).toBe(expected);
    expect(isPgText(s)).toBe(expected === undefined);
  });
});

describe('pgJsonIssues', () => {
  it('finds bad strings and keys with their paths', () => {
    expect(pgJsonIssues({ a: [1, 'ok', { b: 'x\u0000' }], ['k\uD800']: 1, c: null, d: true })).toEqual([
      { path: ['a', 2, 'b'], message: expect.stringContaining('U+0000') },
      { path: ['k\uD800'], message: expect.stringMatching(/^Key: .*surrogate/) },
    ]);
    expect(pgJsonIssues({ a: ['fine', 1.5, false, null], b: {} })).toEqual([]);
  });

  it('refuses nesting deeper than maxDepth without recursing (100,000 levels)', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const issues = pgJsonIssues({ label: deep });
    expect(issues).toEqual([{ path: [], message: 'Nested deeper than 64 levels' }]);
    let ok: unknown = 'x';
    for (let i = 0; i < 64; i++) ok = [ok];
    expect(pgJsonIssues(ok)).toEqual([]);
    expect(pgJsonIssues([ok])).toHaveLength(1);
    expect(pgJsonIssues([[1], [2], 'a\u0000'], { maxDepth: 1 })).toEqual([
      { path: [], message: 'Nested deeper than 1 levels' },
      { path: [2], message: expect.stringContaining('U+0000') },
    ]);
  });

  it('refuses values that are not JSON and stops at maxIssues', () => {
    expect(pgJsonIssues([Number.NaN, () => 1, new Date(0), 1n]).map((i) => i.path)).toEqual([[0], [1], [2], [3]]);
    expect(pgJsonIssues(Array.from({ length: 50 }, () => '\u0000'))).toHaveLength(20);
    expect(
      pgJsonIssues(
        Array.from({ length: 50 }, () => '\u0000'),
        { maxIssues: 3 },
      ),
    ).toHaveLength(3);
  });
});

describe('zod helpers', () => {
  it('pgText chains with other checks and reports the problem', () => {
    const s = z.object({ id: pgText().min(1).max(5) });
    expect(s.safeParse({ id: 'abc' }).success).toBe(true);
    const bad = s.safeParse({ id: 'a\u0000' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path, i.message])).toEqual([[['id'], expect.stringContaining('U+0000')]]);
    expect(s.safeParse({ id: 'abcdef' }).success).toBe(false);
  });

  it('pgJson gives issue paths inside the value', () => {
    const s = z.object({ label: pgJson() });
    expect(s.parse({ label: { topic: ['vpn'] } })).toEqual({ label: { topic: ['vpn'] } });
    const bad = s.safeParse({ label: { topic: ['\uDFFF'] } });
    expect(bad.error?.issues.map((i) => i.path)).toEqual([['label', 'topic', 0]]);
  });
});

// The helper must agree with the stores: what it accepts is stored exactly, what it refuses would fail or be altered.
describe('agrees with PostgreSQL (PGlite)', () => {
  let store: Store;
  beforeAll(async () => {
    store = await createStore('memory://');
  });
  afterAll(() => store?.close());

  it('accepted strings round-trip through text and jsonb; refused ones fail or change', async () => {
    const str = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ unit: 'binary-ascii', maxLength: 4 }),
      fc.constantFrom('\u0000', '\uD800', '\uDFFF', 'a\uDBFF\uDFFFb', '\uDC00\uD800'),
    );
    await fc.assert(
      fc.asyncProperty(str, async (s) => {
        let text: string | undefined;
        let json: unknown;
        try {
          text = (await store.query<{ t: string }>('SELECT $1::text AS t', [s]))[0]!.t;
        } catch {
          text = undefined;
        }
        try {
          json = (await store.query<{ j: unknown }>('SELECT $1::jsonb AS j', [JSON.stringify({ s })]))[0]!.j;
        } catch {
          json = undefined;
        }
        const exact = text === s && (json as { s?: unknown } | undefined)?.s === s;
        expect(exact).toBe(isPgText(s));
      }),
      { numRuns: 300, seed: 19 },
    );
  });
});
