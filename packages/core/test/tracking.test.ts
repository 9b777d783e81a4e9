import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore, isMlopsError } from '@mlops/core';
import { listObjectRefs } from '@mlops/core/objects';
import { describeStores } from '@mlops/core/testing';
import { createTracker, type Tracker } from '@mlops/core/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const uid = () => randomUUID().slice(0, 8);

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

let objectsDir: string;
beforeAll(async () => {
  objectsDir = await mkdtemp(join(tmpdir(), 'mlops-tracking-'));
});
afterAll(async () => {
  await rm(objectsDir, { recursive: true, force: true });
});

describeStores('tracking', (getStore) => {
  let tracker: Tracker;
  beforeAll(() => {
    // A long interval so that the tests decide when metrics are written (flush, batch size, end).
    tracker = createTracker({
      store: getStore(),
      objects: fsObjectStore({ dir: objectsDir, fsync: false }),
      batchSize: 50,
      flushIntervalMs: 60_000,
    });
  });

  describe('experiments', () => {
    it('creates, gets or creates, lists and tags experiments', async () => {
      const name = `exp-${uid()}`;
      const created = await tracker.createExperiment({ name, description: 'churn model', tags: { team: 'a' } });
      expect(created).toMatchObject({ name, description: 'churn model', tags: { team: 'a' } });
      expect((await tracker.getOrCreateExperiment(name)).id).toBe(created.id);
      expect(await tracker.getExperiment(created.id)).toEqual(created);
      const tagged = await tracker.setExperimentTags(name, { stage: 'dev' });
      expect(tagged.tags).toEqual({ team: 'a', stage: 'dev' });
      expect((await tracker.listExperiments()).map((e) => e.name)).toContain(name);
      const dup = await errorOf(tracker.createExperiment({ name }));
      expect(isMlopsError(dup, 'CONFLICT')).toBe(true);
      expect(isMlopsError(await errorOf(tracker.getExperiment(`missing-${uid()}`)), 'NOT_FOUND')).toBe(true);
    });

    it('creates one experiment when many callers race on the same name', async () => {
      const name = `race-${uid()}`;
      const got = await Promise.all(Array.from({ length: 8 }, () => tracker.getOrCreateExperiment(name)));
      expect(new Set(got.map((e) => e.id)).size).toBe(1);
    });
  });

  describe('runs', () => {
    it('starts a running run with git and source info, and ends it with a status and end time', async () => {
      const experiment = `runs-${uid()}`;
      const run = await tracker.startRun({ experiment, name: 'first', source: { user: 'alice' } });
      expect(run.status).toBe('running');
      let details = await tracker.getRun(run.id);
      expect(details).toMatchObject({ status: 'running', name: 'first', endTime: null, parentRunId: null });
      expect(details.source.user).toBe('alice');
      // The tests run inside the project's git work tree.
      expect(details.git.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(typeof details.git.dirty).toBe('boolean');
      expect(details.git).toEqual(run.git);
      await run.end();
      details = await tracker.getRun(run.id);
      expect(details.status).toBe('finished');
      expect(details.endTime).toBeInstanceOf(Date);
      expect(details.endTime!.getTime()).toBeGreaterThanOrEqual(details.startTime.getTime());
      expect(run.status).toBe('finished');
    });

    it('refuses data and a second end once a run has ended', async () => {
      const run = await tracker.startRun({ experiment: `ended-${uid()}` });
      await run.end({ status: 'failed' });
      expect((await tracker.getRun(run.id)).status).toBe('failed');
      expect(isMlopsError(await errorOf(run.logMetric('x', 1)), 'CONFLICT')).toBe(true);
      expect(isMlopsError(await errorOf(run.logParam('x', 1)), 'CONFLICT')).toBe(true);
      expect(isMlopsError(await errorOf(run.end()), 'CONFLICT')).toBe(true);
      expect(isMlopsError(await errorOf(run.end({ status: 'done' as never })), 'INVALID_INPUT')).toBe(true);
    });

    it('nests runs under a parent and inherits its experiment', async () => {
      const experiment = `nested-${uid()}`;
      const parent = await tracker.startRun({ experiment, name: 'study' });
      const a = await tracker.startRun({ parentRunId: parent.id, name: 'trial-a' });
      const b = await tracker.startRun({ parentRunId: parent.id, name: 'trial-b' });
      expect(a.experimentId).toBe(parent.experimentId);
      expect((await tracker.getRun(a.id)).parentRunId).toBe(parent.id);
      const children = await tracker.searchRuns({ experiment, filter: { parentRunId: parent.id } });
      expect(children.map((r) => r.name).sort()).toEqual(['trial-a', 'trial-b']);
      const top = await tracker.searchRuns({ experiment, filter: { parentRunId: null } });
      expect(top.map((r) => r.id)).toEqual([parent.id]);
      const orphan = await errorOf(tracker.startRun({ parentRunId: randomUUID() }));
      expect(isMlopsError(orphan, 'NOT_FOUND')).toBe(true);
      expect(isMlopsError(await errorOf(tracker.startRun({})), 'INVALID_INPUT')).toBe(true);
      await Promise.all([a.end(), b.end(), parent.end()]);
    });

    it('withRun ends the run finished, or failed when the body throws', async () => {
      const experiment = `with-${uid()}`;
      const ok = await tracker.withRun({ experiment }, async (run) => {
        await run.logMetric('m', 1);
        return run.id;
      });
      expect((await tracker.getRun(ok)).status).toBe('finished');
      expect((await tracker.getRun(ok)).metrics.m?.value).toBe(1);
      let failedId = '';
      const err = await errorOf(
        tracker.withRun({ experiment }, async (run) => {
          failedId = run.id;
          throw new Error('boom');
        }),
      );
      expect((err as Error).message).toBe('boom');
      expect((await tracker.getRun(failedId)).status).toBe('failed');
    });

    it('reports an unknown run as NOT_FOUND', async () => {
      expect(isMlopsError(await errorOf(tracker.getRun(randomUUID())), 'NOT_FOUND')).toBe(true);
      expect(isMlopsError(await errorOf(tracker.getMetricHistory(randomUUID(), 'x')), 'NOT_FOUND')).toBe(true);
    });
  });

  describe('params', () => {
    it('stores the text like MLflow and keeps the JSON value', async () => {
      const run = await tracker.startRun({
        experiment: `params-${uid()}`,
        params: { lr: 0.1, layers: [64, 32], optimizer: 'adam', early: true, seed: null },
      });
      await run.logParams({ nested: { depth: 3 } });
      const d = await tracker.getRun(run.id);
      expect(d.params).toEqual({
        lr: 0.1,
        layers: [64, 32],
        optimizer: 'adam',
        early: true,
        seed: null,
        nested: { depth: 3 },
      });
      expect(d.paramText).toEqual({
        lr: '0.1',
        layers: '[64,32]',
        optimizer: 'adam',
        early: 'true',
        seed: 'null',
        nested: '{"depth":3}',
      });
      await run.end();
    });

    it('is immutable: the same value is a no-op, another value is a CONFLICT and writes nothing', async () => {
      const run = await tracker.startRun({ experiment: `immutable-${uid()}`, params: { lr: 0.1 } });
      await run.logParam('lr', 0.1);
      const err = await errorOf(run.logParams({ lr: 0.2, fresh: 'x' }));
      expect(isMlopsError(err, 'CONFLICT')).toBe(true);
      expect((err as { details: unknown }).details).toEqual([{ path: 'params.lr', message: 'already logged as 0.1' }]);
      // '0.1' (a string) is not the number 0.1.
      expect(isMlopsError(await errorOf(run.logParam('lr', '0.1')), 'CONFLICT')).toBe(true);
      const d = await tracker.getRun(run.id);
      expect(d.params).toEqual({ lr: 0.1 });
      await run.end();
    });

    it('rejects bad keys and values with field details', async () => {
      const run = await tracker.startRun({ experiment: `badparams-${uid()}` });
      const badKey = await errorOf(run.logParam('no;drop', 1));
      expect(isMlopsError(badKey, 'INVALID_INPUT')).toBe(true);
      const tooLong = await errorOf(run.logParam('big', 'x'.repeat(6001)));
      expect(isMlopsError(tooLong, 'INVALID_INPUT')).toBe(true);
      expect((tooLong as { details: { path: string }[] }).details[0]!.path).toBe('params.big');
      const notJson = await errorOf(run.logParam('fn', (() => 1) as never));
      expect(isMlopsError(notJson, 'INVALID_INPUT')).toBe(true);
      await run.end();
    });
  });

  describe('metrics', () => {
    it('buffers values until flush, then keeps the full history and the latest value', async () => {
      const run = await tracker.startRun({ experiment: `metrics-${uid()}` });
      await run.logMetric('loss', 0.9, { step: 0, timestamp: 1000 });
      await run.logMetric('loss', 0.5, { step: 1, timestamp: 2000 });
      await run.logMetrics({ loss: 0.3, acc: 0.8 }, { step: 2, timestamp: new Date(3000) });
      // An out-of-order value for an earlier step does not become the latest.
      await run.logMetric('loss', 0.7, { step: 1, timestamp: 4000 });
      expect(await tracker.getMetricHistory(run.id, 'loss')).toEqual([]);
      await run.flush();
      expect(await tracker.getMetricHistory(run.id, 'loss')).toEqual([
        { step: 0, value: 0.9, timestamp: 1000 },
        { step: 1, value: 0.5, timestamp: 2000 },
        { step: 1, value: 0.7, timestamp: 4000 },
        { step: 2, value: 0.3, timestamp: 3000 },
      ]);
      const d = await tracker.getRun(run.id);
      expect(d.metrics).toEqual({
        loss: { value: 0.3, step: 2, timestamp: 3000 },
        acc: { value: 0.8, step: 2, timestamp: 3000 },
      });
      // Across flushes too: an older step written later does not replace the latest.
      await run.logMetric('loss', 0.1, { step: 1 });
      await run.logMetric('acc', 0.85, { step: 3 });
      await run.end();
      const after = await tracker.getRun(run.id);
      expect(after.metrics.loss?.value).toBe(0.3);
      expect(after.metrics.acc?.value).toBe(0.85);
      expect(await tracker.getMetricHistory(run.id, 'loss')).toHaveLength(5);
    });

    it('breaks ties of step and timestamp by the larger value, within and across batches (as MLflow)', async () => {
      const run = await tracker.startRun({ experiment: `ties-${uid()}` });
      await run.logMetric('m', 0.2, { step: 5, timestamp: 100 });
      await run.logMetric('m', 0.9, { step: 5, timestamp: 100 });
      await run.logMetric('m', 0.4, { step: 5, timestamp: 100 });
      await run.flush();
      expect((await tracker.getRun(run.id)).metrics.m?.value).toBe(0.9);
      await run.logMetric('m', 0.5, { step: 5, timestamp: 100 });
      await run.logMetric('m', 1.5, { step: 5, timestamp: 99 });
      await run.end();
      expect((await tracker.getRun(run.id)).metrics.m?.value).toBe(0.9);
      expect((await tracker.getMetricHistory(run.id, 'm')).map((p) => p.value)).toEqual([1.5, 0.2, 0.4, 0.5, 0.9]);
    });

    it('writes a batch as soon as the buffer holds batchSize values', async () => {
      const run = await tracker.startRun({ experiment: `batch-${uid()}` });
      for (let i = 0; i < 49; i++) await run.logMetric('x', i, { step: i });
      expect(await tracker.getMetricHistory(run.id, 'x')).toHaveLength(0);
      await run.logMetric('x', 49, { step: 49 });
      const history = await tracker.getMetricHistory(run.id, 'x');
      expect(history.map((p) => p.value)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      await run.end();
    });

    it('writes buffered values on the flush interval', async () => {
      const timed = createTracker({ store: getStore(), flushIntervalMs: 20 });
      const run = await timed.startRun({ experiment: `interval-${uid()}` });
      await run.logMetric('tick', 1);
      await expect.poll(async () => (await timed.getMetricHistory(run.id, 'tick')).length, { timeout: 10_000 }).toBe(1);
      await run.end();
    });

    it('writes buffered values on end', async () => {
      const run = await tracker.startRun({ experiment: `onend-${uid()}` });
      await run.logMetric('final', 0.42, { step: 7 });
      await run.end();
      expect((await tracker.getRun(run.id)).metrics.final).toMatchObject({ value: 0.42, step: 7 });
    });

    it('refuses NaN and Infinity with field details, and buffers nothing from a bad call', async () => {
      const run = await tracker.startRun({ experiment: `finite-${uid()}` });
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const err = await errorOf(run.logMetric('loss', bad));
        expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
        expect((err as { details: { path: string }[] }).details[0]!.path).toBe('metrics.loss');
      }
      const err = await errorOf(run.logMetrics({ ok: 1, bad: Number.NaN }));
      expect((err as { details: { path: string }[] }).details[0]!.path).toBe('metrics.bad');
      expect(isMlopsError(await errorOf(run.logMetric('x', 1, { step: -1 })), 'INVALID_INPUT')).toBe(true);
      expect(isMlopsError(await errorOf(run.logMetric('x', 1, { step: 1.5 })), 'INVALID_INPUT')).toBe(true);
      expect(isMlopsError(await errorOf(run.logMetric('bad key!', 1)), 'INVALID_INPUT')).toBe(true);
      await run.end();
      expect((await tracker.getRun(run.id)).metrics).toEqual({});
    });

    it('stores extreme finite values exactly', async () => {
      const run = await tracker.startRun({ experiment: `extreme-${uid()}` });
      const values = [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e-300, -0.000123456789, 0.1 + 0.2];
      for (const [i, v] of values.entries()) await run.logMetric('v', v, { step: i });
      await run.end();
      expect((await tracker.getMetricHistory(run.id, 'v')).map((p) => p.value)).toEqual(values);
    });
  });

  describe('tags, artifacts and datasets', () => {
    it('sets tags (last value wins)', async () => {
      const run = await tracker.startRun({ experiment: `tags-${uid()}`, tags: { owner: 'a' } });
      await run.setTag('owner', 'b');
      await run.setTags({ note: 'baseline' });
      expect(isMlopsError(await errorOf(run.setTag('n', 1 as never)), 'INVALID_INPUT')).toBe(true);
      await run.end();
      expect((await tracker.getRun(run.id)).tags).toEqual({ owner: 'b', note: 'baseline' });
    });

    it('stores artifacts in the object store, records a reference, and reads them back verified', async () => {
      const run = await tracker.startRun({ experiment: `artifacts-${uid()}` });
      const file = join(objectsDir, `model-${uid()}.json`);
      await writeFile(file, '{"weights":[1,2,3]}');
      const fromPath = await run.logArtifact('model/model.json', { path: file });
      const fromBytes = await run.logArtifact('notes.txt', `run ${run.id}`);
      expect(fromPath).toMatchObject({ name: 'model/model.json', size: 19 });
      expect(fromPath.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      // Same name and bytes: a no-op; other bytes: a conflict.
      expect(await run.logArtifact('notes.txt', `run ${run.id}`)).toEqual(fromBytes);
      expect(isMlopsError(await errorOf(run.logArtifact('notes.txt', 'other')), 'CONFLICT')).toBe(true);
      expect(isMlopsError(await errorOf(run.logArtifact('../escape', 'x')), 'INVALID_INPUT')).toBe(true);
      const missing = await errorOf(run.logArtifact('gone', { path: join(objectsDir, 'no-such-file') }));
      expect(isMlopsError(missing, 'NOT_FOUND')).toBe(true);
      await run.end();
      expect((await tracker.getRun(run.id)).artifacts).toEqual([fromPath, fromBytes]);
      expect((await tracker.readArtifact(run.id, 'model/model.json')).toString()).toBe('{"weights":[1,2,3]}');
      const chunks: Buffer[] = [];
      for await (const c of await tracker.openArtifact(run.id, 'notes.txt')) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe(`run ${run.id}`);
      expect(await listObjectRefs(getStore(), fromPath.digest)).toContainEqual({
        digest: fromPath.digest,
        kind: 'run-artifact',
        ownerId: run.id,
      });
      expect(isMlopsError(await errorOf(tracker.readArtifact(run.id, 'nope')), 'NOT_FOUND')).toBe(true);
    });

    it('refuses artifacts without an object store', async () => {
      const bare = createTracker({ store: getStore() });
      const run = await bare.startRun({ experiment: `bare-${uid()}` });
      expect(isMlopsError(await errorOf(run.logArtifact('a', 'x')), 'UNSUPPORTED')).toBe(true);
      await run.end();
    });

    it('records dataset versions used, for lineage', async () => {
      const experiment = `lineage-${uid()}`;
      const version = `sha256:${uid()}`;
      const a = await tracker.startRun({ experiment });
      await a.logDatasetVersion({ name: 'tickets', version, role: 'train' });
      await a.logDatasetVersion({ name: 'tickets', version, role: 'train' });
      await a.logDatasetVersion({ name: 'tickets-test', version: `${version}-t`, role: 'test' });
      const b = await tracker.startRun({ experiment });
      await b.logDatasetVersion({ name: 'tickets', version });
      await Promise.all([a.end(), b.end()]);
      expect((await tracker.getRun(a.id)).datasets).toEqual([
        { name: 'tickets', version, role: 'train' },
        { name: 'tickets-test', version: `${version}-t`, role: 'test' },
      ]);
      expect((await tracker.runsUsingDataset(version)).map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
      const filtered = await tracker.searchRuns({ experiment, filter: { datasetVersion: `${version}-t` } });
      expect(filtered.map((r) => r.id)).toEqual([a.id]);
    });
  });

  describe('search and compare', () => {
    const experiment = `search-${uid()}`;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      const specs = [
        { name: 'a', lr: 0.1, depth: 3, acc: 0.91, loss: 0.3, tag: 'x', status: 'finished' },
        { name: 'b', lr: 0.01, depth: 3, acc: 0.95, loss: 0.2, tag: 'y', status: 'finished' },
        { name: 'c', lr: 0.1, depth: 5, acc: 0.87, loss: 0.35, tag: 'x', status: 'finished' },
        { name: 'd', lr: 0.3, depth: 5, acc: 0.99, loss: 0.1, tag: 'y', status: 'failed' },
        { name: 'e', lr: 0.1, depth: 8, acc: undefined, loss: 0.5, tag: 'z', status: 'finished' },
      ] as const;
      for (const s of specs) {
        const run = await tracker.startRun({
          experiment,
          name: s.name,
          params: { lr: s.lr, depth: s.depth },
          tags: { group: s.tag },
        });
        // A worse, earlier accuracy, so that only the latest value counts.
        if (s.acc !== undefined) await run.logMetrics({ acc: 0.5 }, { step: 0 });
        if (s.acc !== undefined) await run.logMetric('acc', s.acc, { step: 1 });
        await run.logMetric('loss', s.loss, { step: 1 });
        await run.end({ status: s.status });
        ids[s.name] = run.id;
      }
    });
    const names = (runs: { name: string | null }[]) => runs.map((r) => r.name);

    it('filters by params (text), latest metric ranges, tags and status', async () => {
      expect(
        names(
          await tracker.searchRuns({
            experiment,
            filter: { params: { lr: 0.1 } },
            orderBy: { field: 'name', direction: 'asc' },
          }),
        ),
      ).toEqual(['a', 'c', 'e']);
      expect(names(await tracker.searchRuns({ experiment, filter: { params: { lr: '0.1', depth: 5 } } }))).toEqual([
        'c',
      ]);
      const ranged = await tracker.searchRuns({
        experiment,
        filter: { metrics: { acc: { gte: 0.9, lt: 0.99 } } },
        orderBy: { field: 'name', direction: 'asc' },
      });
      expect(names(ranged)).toEqual(['a', 'b']);
      expect(names(await tracker.searchRuns({ experiment, filter: { metrics: { acc: { exists: false } } } }))).toEqual([
        'e',
      ]);
      expect(
        names(
          await tracker.searchRuns({
            experiment,
            filter: { tags: { group: { in: ['y', 'z'] } }, status: 'finished' },
            orderBy: { field: 'name', direction: 'asc' },
          }),
        ),
      ).toEqual(['b', 'e']);
      expect(
        names(await tracker.searchRuns({ experiment, filter: { tags: { group: { ne: 'x' } }, status: ['failed'] } })),
      ).toEqual(['d']);
      expect(
        names(
          await tracker.searchRuns({
            experiment,
            filter: { params: { lr: { ne: '0.1' } } },
            orderBy: { param: 'lr', direction: 'asc' },
          }),
        ),
      ).toEqual(['b', 'd']);
    });

    it('orders by a metric latest value, runs without it last, and pages', async () => {
      const desc = await tracker.searchRuns({ experiment, orderBy: { metric: 'acc', direction: 'desc' } });
      expect(names(desc)).toEqual(['d', 'b', 'a', 'c', 'e']);
      const asc = await tracker.searchRuns({ experiment, orderBy: { metric: 'acc', direction: 'asc' } });
      expect(names(asc)).toEqual(['c', 'a', 'b', 'd', 'e']);
      const page = await tracker.searchRuns({ experiment, orderBy: { metric: 'acc' }, limit: 2, offset: 1 });
      expect(names(page)).toEqual(['b', 'a']);
      expect(desc[0]!.metrics.acc?.value).toBe(0.99);
      expect(desc[0]!.params.lr).toBe(0.3);
    });

    it('finds the best run among finished runs by default', async () => {
      expect((await tracker.bestRun(experiment, 'acc', 'max'))?.name).toBe('b');
      expect((await tracker.bestRun(experiment, 'loss', 'min'))?.name).toBe('b');
      expect(
        (await tracker.bestRun(experiment, 'acc', 'max', { filter: { status: ['finished', 'failed'] } }))?.name,
      ).toBe('d');
      expect((await tracker.bestRun(experiment, 'acc', 'max', { filter: { params: { lr: 0.1 } } }))?.name).toBe('a');
      expect(await tracker.bestRun(experiment, 'no-such-metric')).toBeUndefined();
      expect(isMlopsError(await errorOf(tracker.bestRun(`nope-${uid()}`, 'acc')), 'NOT_FOUND')).toBe(true);
    });

    it('compares runs side by side', async () => {
      const cmp = await tracker.compareRuns([ids.a!, ids.c!, ids.e!]);
      expect(cmp.runs.map((r) => r.name)).toEqual(['a', 'c', 'e']);
      expect(cmp.params).toEqual([
        { key: 'depth', values: ['3', '5', '8'], differs: true },
        { key: 'lr', values: ['0.1', '0.1', '0.1'], differs: false },
      ]);
      expect(cmp.metrics).toEqual([
        { key: 'acc', values: [0.91, 0.87, null], differs: true },
        { key: 'loss', values: [0.3, 0.35, 0.5], differs: true },
      ]);
      expect(isMlopsError(await errorOf(tracker.compareRuns([ids.a!, randomUUID()])), 'NOT_FOUND')).toBe(true);
    });

    it('treats filter values as data, never as SQL', async () => {
      const hostile = "0.1' OR '1'='1";
      expect(await tracker.searchRuns({ experiment, filter: { params: { lr: hostile } } })).toEqual([]);
      expect(
        await tracker.searchRuns({ experiment, filter: { tags: { group: "x'; DROP TABLE core_runs; --" } } }),
      ).toEqual([]);
      expect(await tracker.searchRuns({ experiment })).toHaveLength(5);
    });

    it('rejects malformed filters as INVALID_INPUT', async () => {
      const bad = await errorOf(
        tracker.searchRuns({ experiment, filter: { metrics: { acc: { gte: 'high' as never } } } }),
      );
      expect(isMlopsError(bad, 'INVALID_INPUT')).toBe(true);
      expect(isMlopsError(await errorOf(tracker.searchRuns({ experiment, limit: 0 })), 'INVALID_INPUT')).toBe(true);
      expect(
        isMlopsError(
          await errorOf(tracker.searchRuns({ experiment, filter: { colour: 'red' } as never })),
          'INVALID_INPUT',
        ),
      ).toBe(true);
    });
  });

  describe('stale runs', () => {
    it('marks runs without a sign of life as killed, and leaves live ones alone', async () => {
      const experiment = `stale-${uid()}`;
      const dead = await tracker.startRun({ experiment });
      await dead.logMetric('x', 1);
      await dead.flush();
      const store = getStore();
      // Pretend the process holding `dead` went silent ten minutes ago.
      await store.query("UPDATE core_runs SET last_seen_at = now() - interval '10 minutes' WHERE id = $1", [dead.id]);
      const live = await tracker.startRun({ experiment });
      expect(await tracker.markStaleRuns({ experiment, olderThanMs: 5 * 60_000 })).toEqual([dead.id]);
      const d = await tracker.getRun(dead.id);
      expect(d.status).toBe('killed');
      expect(d.endTime?.getTime()).toBe(d.lastSeenAt.getTime());
      expect((await tracker.getRun(live.id)).status).toBe('running');
      // The handle of a run ended elsewhere cannot end it again.
      expect(isMlopsError(await errorOf(dead.end()), 'CONFLICT')).toBe(true);
      await live.end();
    });
  });
});
