import { describe, expect, it } from 'vitest';
import { compareQuerySchema, monitoringQuerySchema, runsQuerySchema } from './schemas.js';

describe('runsQuerySchema', () => {
  it.each([
    ['accuracy>=0.9', { key: 'accuracy', op: '>=', value: 0.9 }],
    ['loss < 1e-3', { key: 'loss', op: '<', value: 0.001 }],
    ['f1!=0', { key: 'f1', op: '!=', value: 0 }],
    ['val/acc=-.5', { key: 'val/acc', op: '=', value: -0.5 }],
  ])('parses the metric condition %s', (input, expected) => {
    expect(runsQuerySchema.parse({ metric: input }).metric).toEqual([expected]);
  });

  it.each(['accuracy', 'accuracy>=high', '>=0.9', 'a>>1'])(
    'refuses the metric condition %s with its index',
    (input) => {
      const r = runsQuerySchema.safeParse({ metric: ['accuracy>0', input] });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.path)).toEqual([['metric', 1]]);
    },
  );

  it('parses param conditions, repeated keys and defaults', () => {
    const q = runsQuerySchema.parse({
      param: ['lr=0.1', 'optimizer!=sgd'],
      status: 'finished',
      experiment: ['a', 'b'],
    });
    expect(q.param).toEqual([
      { key: 'lr', op: '=', value: '0.1' },
      { key: 'optimizer', op: '!=', value: 'sgd' },
    ]);
    expect(q).toMatchObject({
      status: ['finished'],
      experiment: ['a', 'b'],
      sort: 'startTime',
      dir: 'desc',
      limit: 100,
    });
  });
});

describe('compareQuerySchema', () => {
  it('takes comma-separated or repeated ids and refuses fewer than two or duplicates', () => {
    expect(compareQuerySchema.parse({ ids: 'a, b' }).ids).toEqual(['a', 'b']);
    expect(compareQuerySchema.parse({ ids: ['a', 'b,c'] }).ids).toEqual(['a', 'b', 'c']);
    expect(compareQuerySchema.safeParse({ ids: 'a' }).success).toBe(false);
    expect(compareQuerySchema.safeParse({ ids: 'a,a' }).success).toBe(false);
  });
});

describe('monitoringQuerySchema', () => {
  it('takes ISO times or epoch milliseconds and needs from < to', () => {
    expect(monitoringQuerySchema.parse({ model: 'm', from: '1000', to: '2026-01-01T00:00:00Z' })).toMatchObject({
      from: 1000,
      buckets: 12,
    });
    const r = monitoringQuerySchema.safeParse({ model: 'm', from: '2000', to: '1000' });
    expect(r.error?.issues.map((i) => i.path)).toEqual([['to']]);
  });
});
