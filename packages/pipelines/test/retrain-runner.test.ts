import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createStore, type FsObjectStore, fsObjectStore, type Store } from '@mlops/core';
import { getRetrainDecision, listRetrainDecisions, recordRetrainDecision } from '@mlops/core/retrain-decisions';
import { testPostgresUrl } from '@mlops/core/testing';
import { createTracker } from '@mlops/core/tracking';
import { createProfile } from '@mlops/drift';
import {
  acquireRetrainLock,
  createContinuousTrainingPolicy,
  createRetrainRunner,
  isRetrainConflict,
  retrainLockKey,
} from '@mlops/pipelines';
import { createRegistry, type Registry } from '@mlops/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeData, saveLinearModel, usePolicyFixture } from './helpers.js';

const CONFIG = new URL('./fixtures/retrain-thread.config.mjs', import.meta.url);
const run = promisify(execFile);

async function registerModel(store: Store, objects: FsObjectStore, registry: Registry, model: string) {
  await registry.createModel({ name: model });
  const train = makeData(200, 1);
  const digest = await saveLinearModel(objects, store, train);
  const v = await registry.createVersion({
    model,
    packageDigest: digest,
    flavor: 'mlops.linear',
    metrics: { accuracy: 0.9 },
    profile: createProfile({ x1: train.x1, x2: train.x2 }),
  });
  await registry.promote({ model, version: v.version, alias: 'production' });
  return v.version;
}

describe('retrain runner: a config module in a worker thread', () => {
  let store: Store;
  let objects: FsObjectStore;
  let registry: Registry;
  usePolicyFixture('mlops-runner-', (fx) => {
    ({ store, objects, registry } = fx);
  });

  it('answers a pending decision at once, runs off the serving loop, refuses a second start, links the tracked run', async () => {
    const model = 'rr-thread';
    await registerModel(store, objects, registry, model);
    const gate = new SharedArrayBuffer(4);
    const flag = new Int32Array(gate);
    const runner = createRetrainRunner({
      store,
      objects,
      targets: { [model]: { module: CONFIG, workerData: { gate } } },
    });
    const started = await runner.start(model, { force: true, reason: 'new labels', principal: 'ops' });
    expect(started).toMatchObject({ model, alias: 'production', status: 'pending' });
    expect(started.decision).toMatchObject({ status: 'running', principal: 'ops' });
    // The thread's retrain now blocks its own event loop (Atomics.wait) until released: everything below runs on this
    // loop meanwhile, which would hang if the retrain ran here.
    while (Atomics.load(flag, 0) !== 1) await new Promise((r) => setTimeout(r, 20));
    expect((await runner.get(model, started.decisionId))?.status).toBe('running');
    const second = await runner.start(model, { force: true }).catch((e: unknown) => e);
    expect(isRetrainConflict(second)).toBe(true);
    expect((second as { details: { decisionId: string } }).details.decisionId).toBe(started.decisionId);
    expect((await registry.resolve({ model, alias: 'production' })).version).toBe(1);
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
    await runner.idle();

    const done = await runner.get(model, started.decisionId);
    expect(done).toMatchObject({ status: 'done', decision: { status: 'promoted', candidateVersion: 2 } });
    expect(done!.decision.reasons).toEqual([{ trigger: 'manual', message: 'new labels' }]);
    const v2 = await registry.getVersion({ model, version: 2 });
    expect(v2.tags).toMatchObject({ thread: 'worker', retrainDecision: started.decisionId });
    expect(v2.sourceRunId).toBe(done!.decision.runId);
    const run = await createTracker({ store }).getRun(done!.decision.runId!);
    expect(run.status).toBe('finished');
    expect(run.tags).toMatchObject({
      'mlops.retrain.decision': started.decisionId,
      'mlops.retrain.outcome': 'promoted',
    });
    expect((await registry.resolve({ model, alias: 'production' })).version).toBe(2);
    // Another model's decision id is not this model's.
    expect(await runner.get('other', started.decisionId)).toBeUndefined();
    await runner.close();
  });

  it('records a failed retrain, a config that cannot load, and releases the lock each time', async () => {
    const model = 'rr-fail';
    await registerModel(store, objects, registry, model);
    const failing = createRetrainRunner({
      store,
      objects,
      targets: { [model]: { module: CONFIG, workerData: { fail: true } } },
    });
    const a = await failing.start(model, { force: true });
    await failing.idle();
    const af = await failing.get(model, a.decisionId);
    expect(af).toMatchObject({
      status: 'failed',
      decision: { status: 'failed', error: 'training cluster unavailable' },
    });
    const failedRun = await createTracker({ store }).getRun(af!.decision.runId!);
    expect(failedRun.status).toBe('failed');

    const broken = createRetrainRunner({
      store,
      objects,
      targets: { [model]: { module: CONFIG, export: 'notAFactory' } },
    });
    const b = await broken.start(model, { force: true });
    await broken.idle();
    const bf = await broken.get(model, b.decisionId);
    expect(bf?.status).toBe('failed');
    expect(bf?.decision.error).toMatch(/does not export a function "notAFactory"/);

    const evaluation = await failing.evaluate(model);
    expect(evaluation).toMatchObject({ model, version: 1, triggered: false });
    await expect(failing.start('unknown')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("promotes through the serving thread's registry when given, so its subscribers (the server) hear it", async () => {
    const model = 'rr-events';
    await registerModel(store, objects, registry, model);
    const heard: { action: string; alias: string | null; version: number | null }[] = [];
    const unsubscribe = await registry.subscribe((e) => heard.push(e), { model });
    const runner = createRetrainRunner({ store, objects, registry, targets: { [model]: { module: CONFIG } } });
    const started = await runner.start(model, { force: true });
    await runner.idle();
    expect((await runner.get(model, started.decisionId))?.decision.status).toBe('promoted');
    // Events are delivered once the transaction committed: wait for the promotion's.
    for (let i = 0; i < 50 && !heard.some((e) => e.version === 2 && e.alias === 'production'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(heard.filter((e) => e.alias === 'production').map((e) => e.version)).toContain(2);
    await unsubscribe();
  });

  it('abandons a running decision nobody holds the lock of (its process died) when the next one starts', async () => {
    const model = 'rr-orphan';
    await registerModel(store, objects, registry, model);
    const orphan = await recordRetrainDecision({
      store,
      model,
      alias: 'production',
      status: 'running',
      principal: 'dead',
    });
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      retrain: async () => ({ version: 1 }),
    });
    const runner = createRetrainRunner({ store, targets: { [model]: { policy } } });
    const started = await runner.start(model);
    await runner.idle();
    expect((await getRetrainDecision({ store, id: orphan.id }))?.status).toBe('abandoned');
    expect((await runner.get(model, started.decisionId))?.decision.status).toBe('no-action');
  });
});

describe('retrain runner in a process that runs our sources through tsx', () => {
  it('the thread loads the built packages (it has no TypeScript loader)', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await run(
      process.execPath,
      ['--import', tsx, fileURLToPath(new URL('./fixtures/runner-under-tsx.ts', import.meta.url))],
      { cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') } },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { status: string; error: string };
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/does not export a function "notAFactory"/);
  }, 60_000);
});

const pgUrl = testPostgresUrl('the fleet-wide retrain lock');

describe.skipIf(!pgUrl)('retrain lock across processes [postgres]', () => {
  const schema = `rr_${Math.random().toString(36).slice(2, 10)}`;
  const url = () => `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}schema=${schema}`;
  let a: Store;
  let b: Store;
  let registry: Registry;
  let objects: FsObjectStore;
  let dir: string;
  beforeAll(async () => {
    a = await createStore(url());
    b = await createStore(url());
    dir = mkdtempSync(join(tmpdir(), 'mlops-rr-pg-'));
    objects = fsObjectStore({ dir, fsync: false });
    registry = await createRegistry({ store: a, objects });
  });
  afterAll(async () => {
    await registry?.close();
    await a?.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await a?.close();
    await b?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('one retraining per model across two replicas; a dead holder frees the lock and its decision is abandoned', async () => {
    const model = 'rr-fleet';
    await registerModel(a, objects, registry, model);
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const policyOn = (store: Store, wait: boolean) =>
      createContinuousTrainingPolicy({
        store,
        registry,
        model,
        triggers: {},
        tracking: false,
        retrain: async () => {
          if (wait) {
            entered();
            await hold;
          }
          return { version: 1 };
        },
      });
    // Two replicas: two stores (two pools) on one database.
    const replicaA = createRetrainRunner({ store: a, targets: { [model]: { policy: policyOn(a, true) } } });
    const replicaB = createRetrainRunner({ store: b, targets: { [model]: { policy: policyOn(b, false) } } });
    const first = await replicaA.start(model, { force: true });
    await inside;
    const refused = await replicaB.start(model, { force: true }).catch((e: unknown) => e);
    expect(isRetrainConflict(refused)).toBe(true);
    expect((refused as { details: { decisionId: string } }).details.decisionId).toBe(first.decisionId);
    // The lock is PostgreSQL's: B sees it held by A's connection.
    const [held] = await b.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted",
    );
    expect(held!.n).toBeGreaterThanOrEqual(1);
    release();
    await replicaA.idle();
    expect((await replicaB.get(model, first.decisionId))?.status).toBe('done');

    // A holder that dies (its backend terminated, as when its process is killed) releases the lock with its
    // connection; the running decision it left is abandoned by the next start, on any replica.
    const lock = await acquireRetrainLock(a, model, 'production', { pingIntervalMs: 50 });
    expect(lock?.kind).toBe('advisory');
    const left = await recordRetrainDecision({
      store: a,
      model,
      alias: 'production',
      status: 'running',
      principal: 'doomed',
    });
    const key = retrainLockKey(model, 'production');
    await b.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [key],
    );
    await lock!.lost.catch(() => undefined);
    const next = await replicaB.start(model, { force: true });
    await replicaB.idle();
    expect((await getRetrainDecision({ store: b, id: left.id }))?.status).toBe('abandoned');
    expect((await replicaB.get(model, next.decisionId))?.decision.status).toBe('promoted');
    const all = await listRetrainDecisions({ store: b, model });
    expect(all.filter((d) => d.status === 'running')).toEqual([]);
  });
});
