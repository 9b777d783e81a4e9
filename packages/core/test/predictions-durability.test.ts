// Issue 19, fault 11: `durability: 'acknowledged'` — a logged prediction's `committed` promise resolves only once
// the transaction holding its row has committed (group commit), and rejects when the row will never be written.
import { randomUUID } from 'node:crypto';
import { isMlopsError, type Store } from '@mlops/core';
import { createPredictionLogger } from '@mlops/core/predictions';
import { describeStores } from '@mlops/core/testing';
import { describe, expect, it } from 'vitest';
import { isLogInsert } from './helpers.js';

const HOUR = 3_600_000;
const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function presentIds(store: Store, ids: readonly string[]): Promise<Set<string>> {
  const rows = await store.query<{ id: string }>('SELECT id FROM core_predictions WHERE id = ANY($1::text[])', [
    [...ids],
  ]);
  return new Set(rows.map((r) => r.id));
}

/** Counts the prediction log's INSERT statements; fails them all when `failing()` says so. */
function countingStore(base: Store, failing: () => boolean = () => false) {
  let n = 0;
  const store = new Proxy(base, {
    get(target, key, receiver) {
      if (key === 'query') {
        return async (sql: string, params?: unknown[]) => {
          if (!isLogInsert(sql)) return target.query(sql, params);
          n++;
          if (failing()) throw new Error('injected: the store is unreachable');
          return target.query(sql, params);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { store, inserts: () => n };
}

describe('prediction logger durability option', () => {
  it('is buffered by default (no committed promise) and refuses unknown modes', () => {
    const store = {} as Store;
    const logger = createPredictionLogger({ store, flushIntervalMs: HOUR });
    const r = logger.logBatch({ requestId: 'r', model: 'm', inputs: { x: [1] } });
    expect(r.committed).toBeUndefined();
    expect(logger.log({ requestId: 'r', model: 'm', inputs: {} }).committed).toBeUndefined();
    expect(() => createPredictionLogger({ store, durability: 'fsync' as unknown as 'acknowledged' })).toThrowError(
      /durability/,
    );
  });
});

describeStores('prediction log, durability acknowledged', (getStore) => {
  it('resolves committed only once the rows are in the store, without waiting for flushIntervalMs', async () => {
    const model = uniq('ack');
    const logger = createPredictionLogger({ store: getStore(), durability: 'acknowledged', flushIntervalMs: HOUR });
    const r = logger.logBatch({ requestId: 'req-1', model, inputs: { x: [1, 2, 3] }, outputs: { y: [2, 4, 6] } });
    expect(r.accepted).toBe(3);
    expect(r.committed).toBeInstanceOf(Promise);
    let done = false;
    void r.committed!.then(() => {
      done = true;
    });
    expect(done).toBe(false);
    await r.committed;
    // Resolved ⇒ committed: another reader sees every row at once.
    expect(await presentIds(getStore(), r.ids)).toEqual(new Set(r.ids));
    const single = logger.log({ requestId: 'req-2', model, inputs: { x: 4 } });
    await single.committed;
    expect((await presentIds(getStore(), [single.id])).size).toBe(1);
    await logger.close();
  });

  it('group commit: concurrent callers share a transaction', async () => {
    const model = uniq('group');
    const { store, inserts } = countingStore(getStore());
    const logger = createPredictionLogger({
      store,
      durability: 'acknowledged',
      flushIntervalMs: HOUR,
      maxRowsPerStatement: 500,
    });
    const calls = Array.from({ length: 200 }, (_, i) =>
      logger.logBatch({ requestId: `req-${i}`, model, inputs: { x: [i] } }),
    );
    await Promise.all(calls.map((c) => c.committed));
    expect(inserts()).toBeLessThanOrEqual(2);
    // Callers arriving while a write runs share the next one.
    const before = inserts();
    const wave1 = Array.from({ length: 50 }, (_, i) => logger.log({ requestId: `a-${i}`, model, inputs: { i } }));
    await new Promise((r) => setImmediate(r)); // the writer starts on wave 1
    const wave2 = Array.from({ length: 50 }, (_, i) => logger.log({ requestId: `b-${i}`, model, inputs: { i } }));
    await Promise.all([...wave1, ...wave2].map((c) => c.committed));
    expect(inserts() - before).toBeLessThanOrEqual(3);
    const ids = [...calls.flatMap((c) => c.ids), ...wave1.map((c) => c.id), ...wave2.map((c) => c.id)];
    expect((await presentIds(getStore(), ids)).size).toBe(300);
    const stats = await logger.close();
    expect(stats).toMatchObject({ logged: 300, written: 300, pending: 0 });
  });

  it('rejects committed when the rows are abandoned, and resolves again once the store is back', async () => {
    const model = uniq('abandon');
    let down = true;
    const { store } = countingStore(getStore(), () => down);
    const logger = createPredictionLogger({
      store,
      durability: 'acknowledged',
      flushIntervalMs: HOUR,
      maxAttempts: 2,
      retryDelayMs: 1,
      onError: () => {},
    });
    const r = logger.logBatch({ requestId: 'req-down', model, inputs: { x: [1, 2] } });
    const err = await r.committed!.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMlopsError(err, 'UPSTREAM_ERROR')).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({ outcome: 'abandoned' });
    down = false;
    const ok = logger.logBatch({ requestId: 'req-up', model, inputs: { x: [3] } });
    await ok.committed;
    const stats = await logger.close();
    expect(stats).toMatchObject({ logged: 3, written: 1, abandoned: 2, pending: 0 });
  });

  it('rejects committed for a quarantined row, and resolves the other callers of the same write', async () => {
    const model = uniq('quarantine');
    const logger = createPredictionLogger({
      store: getStore(),
      durability: 'acknowledged',
      flushIntervalMs: HOUR,
      onQuarantine: () => {},
    });
    const good = Array.from({ length: 10 }, (_, i) =>
      logger.logBatch({ requestId: `g-${i}`, model, inputs: { i: [i] } }),
    );
    const bad = logger.logBatch({ requestId: 'bad\u0000', model, inputs: { i: [99] } });
    await Promise.all(good.map((g) => g.committed));
    const err = await bad.committed!.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({ outcome: 'quarantined' });
    expect(await logger.close()).toMatchObject({ logged: 11, written: 10, quarantined: 1 });
  });

  it('rejects committed at once for rows dropped (buffer full, logger closed); an unawaited rejection is harmless', async () => {
    const model = uniq('dropped');
    const logger = createPredictionLogger({
      store: getStore(),
      durability: 'acknowledged',
      flushIntervalMs: HOUR,
      maxBuffer: 2,
    });
    // Not awaited at all: must not become an unhandled rejection (vitest fails the run on one).
    logger.logBatch({ requestId: 'ignored', model, inputs: { x: [1, 2, 3, 4] } });
    await logger.flush();
    const full = logger.logBatch({ requestId: 'too-big', model, inputs: { x: [1, 2, 3] } });
    expect(full.accepted).toBe(2);
    await expect(full.committed).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', details: { outcome: 'dropped' } });
    await logger.close();
    const late = logger.log({ requestId: 'late', model, inputs: {} });
    expect(late.accepted).toBe(false);
    await expect(late.committed).rejects.toMatchObject({ details: { outcome: 'dropped' } });
    // A batch of no rows has nothing to keep.
    const empty = logger.logBatch({ requestId: 'empty', model, inputs: { x: [] } });
    expect(empty.accepted).toBe(0);
    await expect(empty.committed).resolves.toBeUndefined();
  });
});
