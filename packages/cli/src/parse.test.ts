import { describe, expect, it } from 'vitest';
import { buildGate, buildRunFilter, parseComparison, parseGateExpression, readJsonArgument } from './parse.js';

describe('parseComparison', () => {
  it.each`
    text                | key           | op       | value
    ${'accuracy>=0.9'}  | ${'accuracy'} | ${'gte'} | ${'0.9'}
    ${'loss <= 0.2'}    | ${'loss'}     | ${'lte'} | ${'0.2'}
    ${'f1>0.5'}         | ${'f1'}       | ${'gt'}  | ${'0.5'}
    ${'f1<0.5'}         | ${'f1'}       | ${'lt'}  | ${'0.5'}
    ${'lr=0.1'}         | ${'lr'}       | ${'eq'}  | ${'0.1'}
    ${'lr==0.1'}        | ${'lr'}       | ${'eq'}  | ${'0.1'}
    ${'opt!=sgd'}       | ${'opt'}      | ${'neq'} | ${'sgd'}
    ${'f1-macro>=0.7'}  | ${'f1-macro'} | ${'gte'} | ${'0.7'}
    ${'a>=incumbent-1'} | ${'a'}        | ${'gte'} | ${'incumbent-1'}
  `('$text → $key $op $value', ({ text, key, op, value }) => {
    expect(parseComparison(text)).toEqual({ key, op, value });
  });

  it.each(['accuracy', '>=0.9', 'accuracy>=', ''])('rejects %j with INVALID_INPUT', (text) => {
    expect(() => parseComparison(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('parseGateExpression', () => {
  it.each`
    text                        | gate
    ${'accuracy>=0.9'}          | ${{ metric: 'accuracy', op: 'gte', value: 0.9 }}
    ${'latency_ms<50'}          | ${{ metric: 'latency_ms', op: 'lt', value: 50 }}
    ${'f1>=incumbent'}          | ${{ metric: 'f1', notWorseThanIncumbentBy: 0, direction: 'max' }}
    ${'f1>=incumbent-0.01'}     | ${{ metric: 'f1', notWorseThanIncumbentBy: 0.01, direction: 'max' }}
    ${'f1 >= incumbent + 0.02'} | ${{ metric: 'f1', improvesOnIncumbentBy: 0.02, direction: 'max' }}
    ${'loss<=incumbent'}        | ${{ metric: 'loss', notWorseThanIncumbentBy: 0, direction: 'min' }}
    ${'loss<=incumbent+0.1'}    | ${{ metric: 'loss', notWorseThanIncumbentBy: 0.1, direction: 'min' }}
    ${'loss<=incumbent-0.1'}    | ${{ metric: 'loss', improvesOnIncumbentBy: 0.1, direction: 'min' }}
  `('$text', ({ text, gate }) => {
    expect(parseGateExpression(text)).toEqual(gate);
  });

  it('refuses strict comparisons with the incumbent and non-numbers', () => {
    expect(() => parseGateExpression('f1>incumbent')).toThrow(/>= \(higher is better\) or <=/);
    expect(() => parseGateExpression('f1>=good')).toThrow(/"good" is not a number/);
  });
});

describe('buildGate', () => {
  it('is undefined without gates, a single gate alone, several under all', () => {
    expect(buildGate([], undefined)).toBeUndefined();
    expect(buildGate(['a>=1'], undefined)).toEqual({ metric: 'a', op: 'gte', value: 1 });
    const json = {
      any: [
        { metric: 'b', op: 'lt', value: 2 },
        { metric: 'c', op: 'gt', value: 3 },
      ],
    };
    expect(buildGate(['a>=1'], json)).toEqual({ all: [{ metric: 'a', op: 'gte', value: 1 }, json] });
  });

  it("validates --gate-json with the registry's schema, naming the field", () => {
    expect(() => buildGate([], { metric: 'a', op: 'bigger', value: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('gate.op') }),
    );
  });

  it('reads inline JSON and @file, with clear errors', () => {
    expect(readJsonArgument('{"a":1}', 'gate JSON')).toEqual({ a: 1 });
    expect(() => readJsonArgument('{a', 'gate JSON')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => readJsonArgument('@/nonexistent/gate.json', 'gate JSON')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});

describe('buildRunFilter', () => {
  it('merges conditions on the same key and types metric values', () => {
    expect(
      buildRunFilter({
        metric: ['accuracy>=0.8', 'accuracy<0.95', 'loss!=0'],
        param: ['lr=0.1', 'opt!=sgd'],
        tag: ['team=a'],
        status: ['finished'],
      }),
    ).toEqual({
      metrics: { accuracy: { gte: 0.8, lt: 0.95 }, loss: { ne: 0 } },
      params: { lr: { eq: '0.1' }, opt: { ne: 'sgd' } },
      tags: { team: { eq: 'a' } },
      status: ['finished'],
    });
  });

  it('refuses ordering comparisons on params', () => {
    expect(() => buildRunFilter({ param: ['lr>0.1'] })).toThrow(/use = or !=/);
  });
});
