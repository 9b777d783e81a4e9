import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isMlopsError } from './errors.js';
import { formatIssuePath, invalidInput, parseInput, zodIssues } from './validation.js';

describe('validation', () => {
  it.each([
    [[], '', ''],
    [['inputs', 3, 'age'], '', 'inputs[3].age'],
    [['inputs', 'age', 2], '', 'inputs.age[2]'],
    [['inputs', 0, 'my field'], '', 'inputs[0]["my field"]'],
    [['lr'], 'params', 'params.lr'],
    [[0], 'params.lr', 'params.lr[0]'],
  ])('formatIssuePath(%j, %j) = %s', (path, base, expected) => {
    expect(formatIssuePath(path, base)).toBe(expected);
  });

  it('parseInput returns the parsed value, or INVALID_INPUT with one detail per problem under the path', () => {
    const schema = z.object({ name: z.string(), tags: z.array(z.string()) }).strict();
    expect(parseInput(schema, { name: 'a', tags: [] }, 'run')).toEqual({ name: 'a', tags: [] });
    let err: unknown;
    try {
      parseInput(schema, { name: 1, tags: ['x', 2], extra: true, other: 1 }, 'run');
    } catch (e) {
      err = e;
    }
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    const e = err as { message: string; details: { path: string; message: string }[] };
    expect(e.details.map((d) => d.path).sort()).toEqual(['run.extra', 'run.name', 'run.other', 'run.tags[1]']);
    expect(e.details.find((d) => d.path === 'run.extra')?.message).toBe('Unknown field');
    expect(e.message).toMatch(/^invalid run: /);
    expect(e.message).toContain('run.tags[1]: ');
  });

  it('a top-level body has paths without a prefix and says "invalid input"', () => {
    const r = z.object({ a: z.number() }).safeParse({ a: 'x' });
    expect(r.success).toBe(false);
    if (!r.success) expect(zodIssues(r.error).map((d) => d.path)).toEqual(['a']);
    expect(() => parseInput(z.number(), 'x')).toThrow(/^invalid input: \(root\): /);
  });

  it('the message lists five issues and counts the rest; details keep all of them', () => {
    const details = Array.from({ length: 8 }, (_, i) => ({ path: `f${i}`, message: 'bad' }));
    const err = invalidInput('invalid request', details);
    expect(err.message).toBe('invalid request: f0: bad; f1: bad; f2: bad; f3: bad; f4: bad (and 3 more)');
    expect(err.details).toHaveLength(8);
  });
});
