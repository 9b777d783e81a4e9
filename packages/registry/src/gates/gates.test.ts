import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../records.js';
import { describeGate, hasGateFunction } from './describe.js';
import { evaluateGate } from './evaluate.js';
import { declarativeGateSchema } from './schema.js';
import type { Gate, GateContext } from './types.js';

function version(v: number, metrics: Record<string, number>): ModelVersion {
  return {
    model: 'm',
    version: v,
    packageDigest: `sha256:${'0'.repeat(64)}`,
    flavor: 'test',
    signature: null,
    hasProfile: false,
    metrics,
    sourceRunId: null,
    datasetVersions: [],
    tags: {},
    description: '',
    status: 'ready',
    aliases: [],
    createdBy: 'test',
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };
}

const ctx = (candidate: Record<string, number>, incumbent?: Record<string, number>): GateContext => ({
  model: 'm',
  alias: 'production',
  candidate: version(2, candidate),
  incumbent: incumbent ? version(1, incumbent) : null,
});

describe('evaluateGate', () => {
  it.each`
    gate                                                                                     | candidate            | incumbent        | passed
    ${{ metric: 'f1', op: 'gte', value: 0.8 }}                                               | ${{ f1: 0.8 }}       | ${undefined}     | ${true}
    ${{ metric: 'f1', op: 'gt', value: 0.8 }}                                                | ${{ f1: 0.8 }}       | ${undefined}     | ${false}
    ${{ metric: 'f1', op: 'lt', value: 0.8 }}                                                | ${{ f1: 0.7 }}       | ${undefined}     | ${true}
    ${{ metric: 'f1', op: 'lte', value: 0.8 }}                                               | ${{ f1: 0.81 }}      | ${undefined}     | ${false}
    ${{ metric: 'f1', op: 'eq', value: 0.3 }}                                                | ${{ f1: 0.1 + 0.2 }} | ${undefined}     | ${true}
    ${{ metric: 'f1', op: 'neq', value: 0.3 }}                                               | ${{ f1: 0.1 + 0.2 }} | ${undefined}     | ${false}
    ${{ metric: 'f1', op: 'gte', value: 0.5 }}                                               | ${{ acc: 0.9 }}      | ${undefined}     | ${false}
    ${{ metric: 'f1', notWorseThanIncumbentBy: 0.02, direction: 'max' }}                     | ${{ f1: 0.9 }}       | ${{ f1: 0.92 }}  | ${true}
    ${{ metric: 'f1', notWorseThanIncumbentBy: 0.02, direction: 'max' }}                     | ${{ f1: 0.89 }}      | ${{ f1: 0.92 }}  | ${false}
    ${{ metric: 'rmse', notWorseThanIncumbentBy: 0.1, direction: 'min' }}                    | ${{ rmse: 1.1 }}     | ${{ rmse: 1.0 }} | ${true}
    ${{ metric: 'rmse', notWorseThanIncumbentBy: 0.1, direction: 'min' }}                    | ${{ rmse: 1.2 }}     | ${{ rmse: 1.0 }} | ${false}
    ${{ metric: 'f1', notWorseThanIncumbentBy: 0, direction: 'max' }}                        | ${{ f1: 0.5 }}       | ${undefined}     | ${true}
    ${{ metric: 'f1', notWorseThanIncumbentBy: 0, direction: 'max', ifNoIncumbent: 'fail' }} | ${{ f1: 0.5 }}       | ${undefined}     | ${false}
    ${{ metric: 'f1', notWorseThanIncumbentBy: 0.1, direction: 'max' }}                      | ${{ f1: 0.5 }}       | ${{ acc: 1 }}    | ${false}
    ${{ metric: 'f1', improvesOnIncumbentBy: 0.01, direction: 'max' }}                       | ${{ f1: 0.91 }}      | ${{ f1: 0.9 }}   | ${true}
    ${{ metric: 'f1', improvesOnIncumbentBy: 0.01, direction: 'max' }}                       | ${{ f1: 0.905 }}     | ${{ f1: 0.9 }}   | ${false}
    ${{ metric: 'loss', improvesOnIncumbentBy: 0.5, direction: 'min' }}                      | ${{ loss: 1 }}       | ${{ loss: 1.5 }} | ${true}
    ${{ all: [{ metric: 'f1', op: 'gte', value: 0.5 }, { metric: 'acc', op: 'gte', value: 0.9 }] }} | ${{ f1: 0.6, acc: 0.8 }} | ${undefined} | ${false}
    ${{ any: [{ metric: 'f1', op: 'gte', value: 0.5 }, { metric: 'acc', op: 'gte', value: 0.9 }] }} | ${{ f1: 0.6, acc: 0.8 }} | ${undefined} | ${true}
    ${{ not: { metric: 'f1', op: 'gte', value: 0.5 } }}                                      | ${{ f1: 0.6 }}       | ${undefined}     | ${false}
  `('$gate on $candidate vs $incumbent → $passed', async ({ gate, candidate, incumbent, passed }) => {
    const e = await evaluateGate(gate as Gate, ctx(candidate, incumbent));
    expect(e.passed).toBe(passed);
  });

  it('records the compared values and every child of a combination', async () => {
    const e = await evaluateGate(
      {
        all: [
          { metric: 'f1', notWorseThanIncumbentBy: 0.01, direction: 'max' },
          { metric: 'f1', op: 'gte', value: 0.95 },
        ],
      },
      ctx({ f1: 0.9 }, { f1: 0.92 }),
    );
    expect(e).toMatchObject({
      gate: 'all',
      passed: false,
      children: [
        { gate: 'notWorseThanIncumbent', candidate: 0.9, incumbent: 0.92, incumbentVersion: 1, passed: false },
        { gate: 'threshold', actual: 0.9, value: 0.95, passed: false },
      ],
    });
  });

  it('runs custom functions with the candidate and incumbent, keeping their evidence', async () => {
    const seen: unknown[] = [];
    async function latencyBudget(c: GateContext) {
      seen.push([c.candidate.version, c.incumbent?.version]);
      return { passed: true, evidence: { p99: 12 } };
    }
    const e = await evaluateGate({ all: [latencyBudget, () => false] }, ctx({}, {}));
    expect(seen).toEqual([[2, 1]]);
    expect(e.passed).toBe(false);
    expect(e.children?.[0]).toMatchObject({ gate: 'custom', name: 'latencyBudget', evidence: { p99: 12 } });
    expect(describeGate({ all: [latencyBudget] })).toEqual({ all: [{ custom: 'latencyBudget' }] });
    expect(hasGateFunction({ not: { any: [{ metric: 'a', op: 'gt', value: 1 }, latencyBudget] } })).toBe(true);
    expect(hasGateFunction({ metric: 'a', op: 'gt', value: 1 })).toBe(false);
  });

  it('passes without a gate', async () => {
    expect((await evaluateGate(undefined, ctx({}))).passed).toBe(true);
  });
});

describe('declarativeGateSchema', () => {
  it('accepts nested combinations', () => {
    const gate = {
      all: [
        { metric: 'f1', op: 'gte', value: 0.8 },
        {
          any: [
            { not: { metric: 'x', op: 'eq', value: 1 } },
            { metric: 'y', improvesOnIncumbentBy: 0, direction: 'min' },
          ],
        },
      ],
    };
    expect(declarativeGateSchema.parse(gate)).toEqual(gate);
  });

  it.each`
    gate                                                               | path                           | message
    ${{ all: [{ metric: 'f1', op: 'gte', value: 'x' }] }}              | ${['all', 0, 'value']}         | ${/number/}
    ${{ all: [] }}                                                     | ${['all']}                     | ${/non-empty/}
    ${{ metric: 'f1', op: 'bigger', value: 1 }}                        | ${['op']}                      | ${/gte/}
    ${{ metric: 'f1', notWorseThanIncumbentBy: -1, direction: 'max' }} | ${['notWorseThanIncumbentBy']} | ${/>=0|greater/}
    ${{ not: { foo: 1 } }}                                             | ${['not']}                     | ${/expected a gate/}
    ${{ metric: 'f1', op: 'gte', value: 1, extra: true }}              | ${[]}                          | ${/extra/}
    ${() => true}                                                      | ${[]}                          | ${/in-process only/}
  `('rejects $gate at $path', ({ gate, path, message }) => {
    const r = declarativeGateSchema.safeParse(gate);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(path);
    expect(r.error?.issues[0]?.message).toMatch(message);
  });
});
