import { describe, expect, it } from 'vitest';
import { parseInput } from '../validation.js';
import { compileRunSearch, type RunSearch, runSearchSchema } from './search.js';

const compile = (s: RunSearch) => compileRunSearch(parseInput(runSearchSchema, s, 'search'));

describe('compileRunSearch', () => {
  it('binds every key and value as a parameter, never into the SQL text', () => {
    const hostile = "x'); DROP TABLE core_runs; --";
    const q = compile({
      experimentIds: ['e1'],
      filter: {
        params: { lr: hostile, depth: { in: [3, hostile] } },
        metrics: { acc: { gte: 0.9, lt: 1 } },
        tags: { team: { ne: hostile } },
        name: hostile,
        datasetVersion: hostile,
      },
      orderBy: [{ metric: 'acc' }, { param: 'lr', direction: 'asc' }],
    });
    expect(q.sql).not.toContain('DROP');
    expect(q.sql).not.toContain('0.9');
    expect(q.params).toContain(hostile);
    expect(q.params).toContainEqual(['3', hostile]);
    expect(q.params).toEqual(expect.arrayContaining(['lr', 'acc', 'team', 0.9, 1, 100, 0]));
    // Each placeholder refers to a bound value.
    const placeholders = [...q.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...placeholders)).toBe(q.params.length);
    expect(new Set(placeholders).size).toBe(q.params.length);
  });

  it.each([
    [{ params: { lr: 0.1 } }, ['lr', '0.1']],
    [{ params: { flag: true } }, ['flag', 'true']],
    [{ metrics: { acc: 0.5 } }, ['acc', 0.5]],
    [{ status: 'finished' as const }, [['finished']]],
    [{ status: ['failed' as const, 'killed' as const] }, [['failed', 'killed']]],
  ])('compiles %j into bound values %j', (filter, values) => {
    const q = compile({ filter });
    expect(q.params.slice(0, values.length)).toEqual(values);
  });

  it('uses NOT EXISTS for exists: false and IS NULL for top-level runs', () => {
    const q = compile({ filter: { metrics: { acc: { exists: false } }, parentRunId: null } });
    expect(q.sql).toContain('NOT EXISTS (SELECT 1 FROM core_latest_metrics');
    expect(q.sql).toContain('r.parent_run_id IS NULL');
  });

  it('sorts runs without the ordered metric last in both directions, then newest first', () => {
    for (const direction of ['asc', 'desc'] as const) {
      const q = compile({ orderBy: { metric: 'acc', direction } });
      expect(q.sql).toContain(`o0.value ${direction.toUpperCase()} NULLS LAST, r.start_time DESC, r.id ASC`);
    }
  });

  it('rejects unknown filter fields and operators', () => {
    expect(() => compile({ filter: { metrics: { acc: { between: 1 } as never } } })).toThrow(/invalid search/);
    expect(() => compile({ orderBy: { field: 'id; --' as never } })).toThrow(/invalid search/);
  });
});
