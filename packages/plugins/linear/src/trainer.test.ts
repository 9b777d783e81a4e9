import { isMlopsError } from '@mlops/core';
import type { DenseMatrix } from '@mlops/core/preprocessing';
import { describe, expect, it } from 'vitest';
import { encodeLabels, fitLinear, linearTrainer, logisticTrainer, softmaxTrainer } from './trainer.js';

// Two overlapping blobs per class on a line; deterministic.
function blobs(n: number, classes: (string | number)[], spread = 1.5): { x: DenseMatrix; y: (string | number)[] } {
  const data = new Float64Array(n * 2);
  const y: (string | number)[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes.length;
    data[2 * i] = c * 2 + spread * Math.sin(i * 12.9898);
    data[2 * i + 1] = -c + spread * Math.cos(i * 78.233);
    y.push(classes[c]!);
  }
  return { x: { columns: ['a', 'b'], nRows: n, nCols: 2, data }, y };
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isMlopsError(err) ? err.code : undefined;
}

describe('encodeLabels', () => {
  it('sorts classes like sklearn: numbers ascending, strings by code point', () => {
    expect(encodeLabels([10, -1, 2, 10], 4).classes).toEqual([-1, 2, 10]);
    expect(encodeLabels(Float64Array.from([1, 0, 1]), 3).classes).toEqual([0, 1]);
    expect(encodeLabels(['b', 'B', 'a', '\u{1F600}', '\uFFFD'], 5).classes).toEqual([
      'B',
      'a',
      'b',
      '\uFFFD',
      '\u{1F600}',
    ]);
    expect(Array.from(encodeLabels(['y', 'x', 'y'], 3).index)).toEqual([1, 0, 1]);
  });

  it('refuses missing, mixed or non-scalar labels', () => {
    expect(() => encodeLabels(['a', null], 2)).toThrow(/label 1 is null/);
    expect(() => encodeLabels(['a', 1], 2)).toThrow(/mix strings and numbers/);
    expect(() => encodeLabels([Number.NaN, 1], 2)).toThrow(/finite number/);
    expect(() => encodeLabels(['a'], 2)).toThrow(/1 labels for 2 rows/);
  });
});

describe('linearTrainer', () => {
  it("picks binary for 2 classes and multinomial for more ('auto')", async () => {
    const two = blobs(60, ['no', 'yes']);
    const three = blobs(60, ['a', 'b', 'c']);
    const m2 = await linearTrainer().fit(two, {});
    const m3 = await linearTrainer().fit(three, {});
    expect([m2.kind, m2.coef.length, m2.intercept.length]).toEqual(['binary', 2, 1]);
    expect([m3.kind, m3.coef.length, m3.intercept.length]).toEqual(['multinomial', 6, 3]);
    const soft = await softmaxTrainer().fit(two, { kind: 'binary' } as never);
    expect(soft.kind).toBe('multinomial');
    expect(await code(logisticTrainer().fit(three, {}))).toBe('INVALID_INPUT');
  });

  it('a 2-class softmax gives the same probabilities as the logistic model with C doubled', async () => {
    // Only v = w₁ − w₀ matters; the softmax optimum splits it as ±v/2, whose penalty ¼‖v‖²/C is the logistic ½‖v‖²/C
    // at half the C. So logistic with C = 1 and softmax with C = 0.5 are the same model.
    const d = blobs(80, [0, 1]);
    const log = await logisticTrainer({ tol: 1e-10, ftol: 0, maxIter: 1000 }).fit(d, { C: 1 });
    const soft = await softmaxTrainer({ tol: 1e-10, ftol: 0, maxIter: 1000 }).fit(d, { C: 0.5 });
    const a = log.predictProbaMatrix(d.x);
    const b = soft.predictProbaMatrix(d.x);
    for (let i = 0; i < a.length; i++) expect(b[i]!).toBeCloseTo(a[i]!, 6);
  });

  it('is deterministic: two fits give bit-identical coefficients, whatever the seed', async () => {
    const d = blobs(90, ['a', 'b', 'c']);
    const a = await linearTrainer().fit(d, { seed: 1 });
    const b = await linearTrainer().fit(d, { seed: 2 });
    expect(Array.from(a.coef)).toEqual(Array.from(b.coef));
    expect(Array.from(a.intercept)).toEqual(Array.from(b.intercept));
  });

  it('a sample weight of 2 is the same as the row appearing twice', async () => {
    const d = blobs(40, ['a', 'b', 'c']);
    const weights = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 2 : 1));
    const dupData: number[] = [];
    const dupY: (string | number)[] = [];
    for (let i = 0; i < 40; i++) {
      for (let r = 0; r < weights[i]!; r++) {
        dupData.push(d.x.data[2 * i]!, d.x.data[2 * i + 1]!);
        dupY.push(d.y[i]!);
      }
    }
    const x2: DenseMatrix = { columns: ['a', 'b'], nRows: dupY.length, nCols: 2, data: Float64Array.from(dupData) };
    const p = { tol: 1e-10, ftol: 0, maxIter: 1000 };
    const a = await fitLinear({ x: d.x, y: d.y, weights }, p);
    const b = await fitLinear({ x: x2, y: dupY }, p);
    for (let i = 0; i < a.coef.length; i++) expect(a.coef[i]!).toBeCloseTo(b.coef[i]!, 7);
  });

  it("classWeight 'balanced' raises the recall of a rare class", async () => {
    const n = 200;
    const data = new Float64Array(n);
    const y: string[] = [];
    for (let i = 0; i < n; i++) {
      const rare = i % 10 === 0;
      data[i] = (rare ? 1 : 0) + 1.2 * Math.sin(i * 3.7);
      y.push(rare ? 'fail' : 'pass');
    }
    const x: DenseMatrix = { columns: ['s'], nRows: n, nCols: 1, data };
    const recall = (pred: (string | number)[]) =>
      pred.filter((p, i) => p === 'fail' && y[i] === 'fail').length / y.filter((v) => v === 'fail').length;
    const plain = await fitLinear({ x, y }, {});
    const balanced = await fitLinear({ x, y }, { classWeight: 'balanced' });
    const byDict = await fitLinear({ x, y }, { classWeight: { fail: 9, pass: 1 } });
    expect(recall(balanced.predict(x))).toBeGreaterThan(recall(plain.predict(x)));
    // 'balanced' here is n / (2 · count): fail 10, pass 10/9 — the same ratio as { fail: 9, pass: 1 } up to scale C.
    expect(recall(byDict.predict(x))).toBeGreaterThan(recall(plain.predict(x)));
  });

  it('logs train_loss per iteration (non-increasing) and drives the progress handle', async () => {
    const metrics: [string, number, number | undefined][] = [];
    const events: string[] = [];
    let last = 0;
    const run = {
      logMetric: (k: string, v: number, opts?: { step?: number }) => metrics.push([k, v, opts?.step]),
      logParam: () => undefined,
    };
    const progress = {
      tick: () => events.push('tick'),
      set: (v: number) => {
        last = v;
        events.push('set');
      },
      done: () => events.push('done'),
      fail: () => events.push('fail'),
      value: 0,
    };
    const model = await linearTrainer().fit(blobs(60, ['a', 'b', 'c']), {}, { run, progress });
    const n = model.info!.nIter;
    expect(n).toBeGreaterThan(1);
    expect(metrics.map((m) => m[2])).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(metrics.map((m) => m[0]))).toEqual(new Set(['train_loss']));
    for (let i = 1; i < n; i++) expect(metrics[i]![1]).toBeLessThanOrEqual(metrics[i - 1]![1]);
    expect(metrics.at(-1)![1]).toBeCloseTo(model.info!.loss, 12);
    expect(last).toBe(n);
    expect(events.at(-1)).toBe('done');
  });

  it("honours the abort signal with MlopsError('ABORTED'), before and during training", async () => {
    const d = blobs(300, ['a', 'b', 'c'], 3);
    const before = new AbortController();
    before.abort();
    expect(await code(linearTrainer().fit(d, {}, { signal: before.signal }))).toBe('ABORTED');

    const during = new AbortController();
    const failed: unknown[] = [];
    const progress = {
      tick: () => undefined,
      set: (v: number) => {
        if (v === 2) during.abort(new Error('user cancelled'));
      },
      done: () => undefined,
      fail: (e: unknown) => failed.push(e),
      value: 0,
    };
    const p = linearTrainer().fit(d, { tol: 1e-12, ftol: 0, maxIter: 500 }, { signal: during.signal, progress });
    expect(await code(p)).toBe('ABORTED');
    expect(failed).toHaveLength(1);
  });

  it('refuses bad params and data with INVALID_INPUT naming the field', async () => {
    const d = blobs(30, ['a', 'b']);
    const bad = async (data: Parameters<typeof fitLinear>[0], params: object) => {
      const err = await fitLinear(data, params as never).catch((e: unknown) => e);
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
      return (err as Error).message;
    };
    expect(await bad(d, { C: 0 })).toMatch(/C/);
    expect(await bad(d, { maxIter: 1.5 })).toMatch(/maxIter/);
    expect(await bad(d, { colour: 'red' })).toMatch(/colour/);
    expect(await bad(d, { classWeight: { c: 2 } })).toMatch(/"c", which is not a class/);
    expect(await bad({ ...d, y: d.y.map(() => 'a') }, {})).toMatch(/at least 2 classes/);
    expect(await bad({ ...d, weights: [1, 2] }, {})).toMatch(/weights has 2 values/);
    expect(await bad({ ...d, weights: d.y.map(() => 0) }, {})).toMatch(/sum to 0/);
    expect(await bad({ x: { ...d.x, data: new Float64Array(3) }, y: d.y }, {})).toMatch(/nRows × nCols/);
    expect(await bad({ x: { a: [1] } as never, y: ['a'] }, {})).toMatch(/feature matrix/);
    const nan = Float64Array.from(d.x.data);
    nan[5] = Number.NaN;
    expect(await bad({ x: { ...d.x, data: nan }, y: d.y }, {})).toMatch(/not finite/);
  });
});
