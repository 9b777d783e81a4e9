import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, fsObjectStore, type ObjectStore, type Store } from '@mlops/core';
import { createTracker } from '@mlops/core/tracking';
import { param, pipeline, step, stepOutput } from '@mlops/pipelines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let store: Store;
let objects: ObjectStore;
let dir: string;

beforeAll(async () => {
  store = await createStore('memory://');
  dir = mkdtempSync(join(tmpdir(), 'mlops-pipeline-'));
  objects = fsObjectStore({ dir: join(dir, 'objects'), fsync: false });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Records that a step ran, then returns its output. */
function track<T>(calls: unknown[], name: unknown, out: T): T {
  calls.push(name);
  return out;
}

/** A stream that keeps the JSON log lines. */
function logSink() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    stream: {
      isTTY: false,
      write(chunk: string) {
        for (const l of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        return true;
      },
    },
  };
}

describe('pipeline caching', () => {
  it('re-runs skip unchanged steps, say so in the result, the log and the tracking runs', async () => {
    const calls = { load: 0, features: 0, train: 0 };
    const load = step({
      name: 'load',
      version: '1',
      inputs: { n: param<number>('n', 4) },
      run: ({ n }) => {
        calls.load++;
        return { xs: Array.from({ length: n }, (_, i) => i) };
      },
    });
    const features = step({
      name: 'features',
      version: '1',
      inputs: { data: load },
      output: z.array(z.number()).transform((a) => Float64Array.from(a)),
      run: ({ data }) => {
        calls.features++;
        return data.xs.map((x) => x * 2);
      },
    });
    const train = step({
      name: 'train',
      version: '1',
      inputs: { x: features, lr: 0.1 },
      run: async ({ x, lr }, ctx) => {
        calls.train++;
        expect(x).toBeInstanceOf(Float64Array);
        await ctx.run.logMetric(
          'sum',
          x.reduce((a, b) => a + b, 0),
        );
        await ctx.lineage({
          datasets: [{ name: 'numbers', version: 'v1' }],
          model: { name: 'numbers-model', version: 7 },
        });
        return { weight: lr * x.length };
      },
    });
    const p = pipeline({ name: 'cache-demo', steps: [train] }); // load and features are pulled in
    expect(p.order).toEqual(['load', 'features', 'train']);

    const first = logSink();
    const r1 = await p.run({ store, objects, progress: 'json', stream: first.stream });
    expect(r1.status).toBe('succeeded');
    expect(r1.outputs.train).toEqual({ weight: 0.4 });
    expect(Object.values(r1.steps).map((s) => s.cached)).toEqual([false, false, false]);
    expect(calls).toEqual({ load: 1, features: 1, train: 1 });

    const second = logSink();
    const r2 = await p.run({ store, objects, progress: 'json', stream: second.stream });
    expect(r2.status).toBe('succeeded');
    expect(calls).toEqual({ load: 1, features: 1, train: 1 });
    expect(Object.values(r2.steps).map((s) => s.cached)).toEqual([true, true, true]);
    expect(r2.outputs.features).toBeInstanceOf(Float64Array); // read back through the output schema
    expect(r2.outputs.train).toEqual(r1.outputs.train);
    const cachedLines = second.lines.filter((l) => l.msg === 'step.cached');
    expect(cachedLines.map((l) => [l.step, l.cached])).toEqual([
      ['load', true],
      ['features', true],
      ['train', true],
    ]);
    expect(second.lines.some((l) => l.msg === 'progress.end')).toBe(true);

    // Every execution is a tracking run: step runs are children of the pipeline run, cached ones tagged so.
    const tracker = createTracker({ store, objects });
    const children = await tracker.searchRuns({ filter: { parentRunId: r2.runId } });
    expect(children.map((c) => c.tags['mlops.cached']).sort()).toEqual(['true', 'true', 'true']);
    const trainRun = await tracker.getRun(r2.steps.train!.runId!);
    expect(trainRun.tags['mlops.cached_from']).toBe(r1.steps.train!.runId);
    // Lineage is replayed on the cache hit: dataset version → model version on the pipeline run.
    const pipelineRun = await tracker.getRun(r2.runId);
    expect(pipelineRun.tags['mlops.model.name']).toBe('numbers-model');
    expect(pipelineRun.tags['mlops.model.version']).toBe('7');
    expect(pipelineRun.datasets.map((d) => [d.name, d.version])).toEqual([['numbers', 'v1']]);
  });

  it('a changed param or code version re-runs only the affected steps', async () => {
    const calls: string[] = [];
    const make = (trainVersion: string) => {
      const a = step({ name: 'a', version: '1', run: () => track(calls, 'a', 1) });
      const b = step({
        name: 'b',
        version: '1',
        inputs: { a, k: param<number>('k') },
        run: ({ a, k }) => track(calls, 'b', a + k),
      });
      const c = step({ name: 'c', version: trainVersion, inputs: { b }, run: ({ b }) => track(calls, 'c', b * 10) });
      return pipeline({ name: 'affected', steps: [a, b, c] });
    };
    await make('1').run({ store, objects, params: { k: 1 }, progress: 'silent' });
    expect(calls).toEqual(['a', 'b', 'c']);
    calls.length = 0;
    const r = await make('1').run({ store, objects, params: { k: 2 }, progress: 'silent' });
    expect(calls).toEqual(['b', 'c']);
    expect(r.outputs.c).toBe(30);
    calls.length = 0;
    await make('2').run({ store, objects, params: { k: 2 }, progress: 'silent' });
    expect(calls).toEqual(['c']);
    calls.length = 0;
    // b's output did not change (1 + 2 = 3 either way) so c hits the cache on the output hash, not on b's run.
    await make('2').run({ store, objects, params: { k: 2 }, progress: 'silent', force: ['b'] });
    expect(calls).toEqual(['b']);
  });

  it('hashSource makes an edited function miss the cache without a version bump', async () => {
    const calls: number[] = [];
    const mk = (run: (i: { x: number }) => number) =>
      pipeline({
        name: 'source-hash',
        steps: [step({ name: 's', version: '1', hashSource: true, inputs: { x: 2 }, run })],
      });
    await mk(({ x }) => track(calls, 1, x + 1)).run({ store, objects, progress: 'silent' });
    await mk(({ x }) => track(calls, 1, x + 1)).run({ store, objects, progress: 'silent' });
    expect(calls).toHaveLength(1);
    const r = await mk(({ x }) => track(calls, 2, x * 100)).run({ store, objects, progress: 'silent' });
    expect(calls).toEqual([1, 2]);
    expect(r.outputs.s).toBe(200);
  });
});

describe('pipeline failures', () => {
  it('a failed step leaves earlier outputs cached, and the re-run resumes from it', async () => {
    const calls: string[] = [];
    let broken = true;
    const prepare = step({ name: 'prepare', version: '1', run: () => track(calls, 'prepare', { rows: 3 }) });
    const train = step({
      name: 'train',
      version: '1',
      inputs: { data: prepare },
      run: ({ data }) => {
        calls.push('train');
        if (broken) throw new Error('out of memory');
        return { rows: data.rows };
      },
    });
    const report = step({
      name: 'report',
      version: '1',
      inputs: { m: train },
      run: ({ m }) => track(calls, 'report', m),
    });
    const p = pipeline({ name: 'resume', steps: [prepare, train, report] });
    const log = logSink();
    const r1 = await p.run({ store, objects, progress: 'json', stream: log.stream });
    expect(r1.status).toBe('failed');
    expect(r1.failedStep).toBe('train');
    expect((r1.error as Error).message).toBe('out of memory');
    expect(r1.steps.prepare!.status).toBe('succeeded');
    expect(r1.steps.train!.status).toBe('failed');
    expect(r1.steps.report!.status).toBe('skipped');
    expect(log.lines.some((l) => l.msg === 'step.fail' && l.step === 'train')).toBe(true);
    const tracker = createTracker({ store, objects });
    expect((await tracker.getRun(r1.runId)).status).toBe('failed');
    expect((await tracker.getRun(r1.steps.train!.runId!)).status).toBe('failed');

    broken = false;
    calls.length = 0;
    const r2 = await p.run({ store, objects, progress: 'silent' });
    expect(r2.status).toBe('succeeded');
    expect(calls).toEqual(['train', 'report']);
    expect(r2.steps.prepare!.cached).toBe(true);
    expect(r2.outputs.report).toEqual({ rows: 3 });
  });

  it('retries a flaky step with backoff (jittered, within [d/2, d]) and counts the attempts', async () => {
    let n = 0;
    const flaky = step({
      name: 'flaky',
      version: '1',
      retries: { retries: 3, backoff: { initialMs: 2, factor: 2 } },
      run: (_i, ctx) => {
        n++;
        if (ctx.attempt < 3) throw new Error(`transient ${ctx.attempt}`);
        return 'ok';
      },
    });
    const log = logSink();
    const r = await pipeline({ name: 'retry', steps: [flaky] }).run({
      store,
      objects,
      progress: 'json',
      stream: log.stream,
    });
    expect(r.status).toBe('succeeded');
    expect(n).toBe(3);
    expect(r.steps.flaky!.attempts).toBe(3);
    const delays = log.lines.filter((l) => l.msg === 'step.retry').map((l) => l.delayMs as number);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(1); // d = 2
    expect(delays[0]).toBeLessThanOrEqual(2);
    expect(delays[1]).toBeGreaterThanOrEqual(2); // d = 4
    expect(delays[1]).toBeLessThanOrEqual(4);
  });

  it('gives up after the last retry', async () => {
    const r = await pipeline({
      name: 'retry-out',
      steps: [
        step({
          name: 'never',
          version: '1',
          retries: { retries: 1, backoff: { initialMs: 0 } },
          run: () => Promise.reject(new Error('down')),
        }),
      ],
    }).run({ store, objects, progress: 'silent' });
    expect(r.status).toBe('failed');
    expect(r.steps.never!.attempts).toBe(2);
  });
});

describe('pipeline validation', () => {
  it('detects a cycle and names it', () => {
    const a = step({ name: 'a', version: '1', inputs: { c: stepOutput('c') }, run: () => 1 });
    const b = step({ name: 'b', version: '1', inputs: { a }, run: () => 1 });
    const c = step({ name: 'c', version: '1', inputs: { b }, run: () => 1 });
    expect(() => pipeline({ name: 'loop', steps: [a, b, c] })).toThrow(
      /cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/,
    );
  });

  it('refuses unknown references and duplicate names', () => {
    const a = step({ name: 'a', version: '1', inputs: { x: stepOutput('missing') }, run: () => 1 });
    expect(() => pipeline({ name: 'bad', steps: [a] })).toThrow(/"missing", which is not in the pipeline/);
    const a2 = step({ name: 'a', version: '2', run: () => 2 });
    const b = step({ name: 'b', version: '1', inputs: { a2 }, run: () => 1 });
    expect(() => pipeline({ name: 'dup', steps: [step({ name: 'a', version: '1', run: () => 1 }), b] })).toThrow(
      /two different steps named "a"/,
    );
  });

  it('orders independent steps by declaration and dependents after their inputs', () => {
    const x = step({ name: 'x', version: '1', run: () => 1 });
    const y = step({ name: 'y', version: '1', run: () => 2 });
    const z2 = step({ name: 'z', version: '1', inputs: { x, y }, run: ({ x, y }) => x + y });
    expect(pipeline({ name: 'order', steps: [z2, y, x] }).order).toEqual(['y', 'x', 'z']);
  });

  it('refuses outputs that are not JSON', async () => {
    const r = await pipeline({
      name: 'not-json',
      steps: [step({ name: 'fn', version: '1', run: () => ({ f: () => 1 }) as unknown })],
    }).run({ store, objects, progress: 'silent' });
    expect(r.status).toBe('failed');
    expect((r.error as Error).message).toMatch(/not JSON-serialisable/);
  });
});
