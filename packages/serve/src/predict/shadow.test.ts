import type { Columns } from '@mlops/core';
import type { PredictionLogger } from '@mlops/core/predictions';
import { describe, expect, it } from 'vitest';
import type { ModelSlot } from '../model-source.js';
import type { ServedModel } from '../served-model.js';
import { mirrorToShadow } from './shadow.js';

function slotWithShadow(predict: (inputs: Columns) => Promise<Columns>) {
  const released: number[] = [];
  const model = { name: 'm', version: '2', alias: 'challenger', predict } as unknown as ServedModel;
  const slot = {
    acquireShadow: () => ({ model, release: () => released.push(1) }),
  } as unknown as ModelSlot;
  return { slot, released };
}

function deps() {
  const logged: { requestId: string; alias: string | null | undefined; outputs: Columns }[] = [];
  const errors: { err: unknown; where: string | undefined }[] = [];
  const predicted: string[] = [];
  return {
    logged,
    errors,
    predicted,
    deps: {
      logger: {
        logBatch: (b: { requestId: string; alias?: string | null; outputs: Columns }) => {
          logged.push({ requestId: b.requestId, alias: b.alias, outputs: b.outputs });
          return { committed: undefined };
        },
      } as unknown as PredictionLogger,
      onPredicted: (model: string, version: string, rows: number) => predicted.push(`${model}@${version}:${rows}`),
      onError: (err: unknown, c: { where?: string }) => errors.push({ err, where: c.where }),
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('mirrorToShadow', () => {
  it('predicts with the shadow after the request, logs it as shadow:<alias>, and releases it', async () => {
    const { slot, released } = slotWithShadow(async (inputs) => ({ y: inputs.x! }));
    const d = deps();
    mirrorToShadow(slot, { x: [1, 2] }, 'r1', d.deps);
    expect(d.logged).toEqual([]); // never delays the request
    await settle();
    expect(d.logged).toEqual([{ requestId: 'r1', alias: 'shadow:challenger', outputs: { y: [1, 2] } }]);
    expect(d.predicted).toEqual(['m@2:2']);
    expect(released).toEqual([1]);
  });

  it('a failing shadow (even a synchronous throw) goes to onError, never into the request', async () => {
    const { slot, released } = slotWithShadow(() => {
      throw new Error('shadow broke');
    });
    const d = deps();
    expect(() => mirrorToShadow(slot, { x: [1] }, 'r1', d.deps)).not.toThrow();
    await settle();
    expect(d.errors).toEqual([{ err: new Error('shadow broke'), where: 'shadow m@2' }]);
    expect(d.logged).toEqual([]);
    expect(released).toEqual([1]);
  });

  it('does nothing without a shadow', () => {
    const d = deps();
    mirrorToShadow({ acquireShadow: () => undefined } as unknown as ModelSlot, { x: [1] }, 'r1', d.deps);
    expect(d.predicted).toEqual([]);
  });
});
