// Issue 19, fault 4: one row PostgreSQL refuses must not cost the other rows of its batch. Today a single bad string
// makes PostgreSQL reject the whole multi-row INSERT, which is retried and abandoned with every row in it.
import { randomUUID } from 'node:crypto';
import type { Store } from '@mlops/core';
import { createPredictionLogger, readPredictions } from '@mlops/core/predictions';
import { describeStores } from '@mlops/core/testing';
import { afterEach, expect, it, vi } from 'vitest';
import { isLogInsert } from './helpers.js';

const HOUR = 3_600_000;
const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function requestIds(store: Store, model: string): Promise<Set<string>> {
  const rows = await store.query<{ request_id: string }>('SELECT request_id FROM core_predictions WHERE model = $1', [
    model,
  ]);
  return new Set(rows.map((r) => r.request_id));
}

/** The counters always add up: every accepted entry is written, skipped as a duplicate, abandoned or quarantined. */
function expectBalanced(s: {
  logged: number;
  written: number;
  abandoned: number;
  quarantined?: number;
  duplicates?: number;
  pending: number;
}) {
  expect(s.pending).toBe(0);
  expect(s.written + s.abandoned + (s.quarantined ?? 0) + (s.duplicates ?? 0)).toBe(s.logged);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describeStores('prediction log: rows the database refuses', (getStore) => {
  it('one lone surrogate among 400 requests costs no other request its row (the value is kept as U+FFFD)', async () => {
    const model = uniq('surrogate');
    const logger = createPredictionLogger({
      store: getStore(),
      batchSize: 200,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      onError: () => {},
    });
    for (let i = 0; i < 400; i++) {
      logger.logBatch({
        requestId: `req-${i}`,
        model,
        inputs: { text: [i === 137 ? 'caf\ud800 au lait' : `ticket ${i}`], key: [i] },
        outputs: { [i === 138 ? 'bad\udc00key' : 'topic']: ['hardware'] },
      });
    }
    const stats = await logger.close();
    expectBalanced(stats);
    expect(stats).toMatchObject({ logged: 400, written: 400, abandoned: 0 });
    expect((await requestIds(getStore(), model)).size).toBe(400);
    const rows = await readPredictions({ store: getStore(), model, limit: 1000 });
    const byRequest = new Map(rows.map((r) => [r.requestId, r]));
    expect(byRequest.get('req-137')!.inputs).toEqual({ text: 'caf\uFFFD au lait', key: 137 });
    expect(byRequest.get('req-138')!.outputs).toEqual({ 'bad\uFFFDkey': 'hardware' });
  });

  it('isolates the rows PostgreSQL refuses, writes the rest, and quarantines them with their request ids', async () => {
    const model = uniq('poison');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const logger = createPredictionLogger({
      store: getStore(),
      batchSize: 500,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      onError: () => {},
    });
    const poison = new Map<number, { requestId?: string; id?: string; time?: number }>([
      [17, { requestId: 'req-17-\ud800' }], // a lone surrogate in a text column: jsonb refuses the batch
      [200, { id: `id-200-\u0000` }], // U+0000: PostgreSQL text cannot hold it
      [399, { time: -8.64e15 }], // a valid JavaScript date PostgreSQL cannot store
    ]);
    for (let i = 0; i < 400; i++) {
      const p = poison.get(i);
      logger.logBatch({
        requestId: p?.requestId ?? `req-${i}`,
        model,
        ...(p?.time === undefined ? {} : { time: p.time }),
        inputs: { x: [i] },
        outputs: { y: [i % 3] },
        ...(p?.id === undefined ? {} : { ids: [p.id] }),
      });
    }
    const stats = await logger.close();
    expectBalanced(stats);
    expect(stats).toMatchObject({ logged: 400, written: 397, quarantined: 3, abandoned: 0, pending: 0 });
    const written = await requestIds(getStore(), model);
    expect(written.size).toBe(397);
    for (let i = 0; i < 400; i++) expect(written.has(`req-${i}`)).toBe(!poison.has(i));
    // One log line per quarantined row, naming its request id (never its inputs).
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('quarantined'));
    expect(lines).toHaveLength(3);
    expect(lines.some((l) => l.includes('req-200'))).toBe(true);
    expect(lines.some((l) => l.includes('req-399'))).toBe(true);
    expect(lines.some((l) => l.includes('req-17-'))).toBe(true);
  });

  it('reports each quarantined row to onQuarantine, and keeps working afterwards', async () => {
    const model = uniq('callback');
    const seen: { id: string; requestId: string; code?: string }[] = [];
    const logger = createPredictionLogger({
      store: getStore(),
      flushIntervalMs: HOUR,
      onQuarantine: (err, row) => seen.push({ ...row, code: (err as { code?: string }).code }),
    });
    const r = logger.log({ id: 'bad\u0000id', requestId: 'req-bad', model, inputs: { x: 1 } });
    logger.log({ requestId: 'req-good', model, inputs: { x: 2 } });
    const s1 = await logger.flush();
    expect(s1).toMatchObject({ logged: 2, written: 1, quarantined: 1, abandoned: 0, pending: 0 });
    expect(seen).toEqual([{ id: r.id, requestId: 'req-bad', model, code: '22P05' }]);
    logger.log({ requestId: 'req-after', model, inputs: { x: 3 } });
    const s2 = await logger.close();
    expectBalanced(s2);
    expect(s2).toMatchObject({ logged: 3, written: 2, quarantined: 1 });
    expect(await requestIds(getStore(), model)).toEqual(new Set(['req-good', 'req-after']));
  });

  it('a transient failure while isolating is retried without writing or quarantining a row twice', async () => {
    const model = uniq('isolate-retry');
    const base = getStore();
    let n = 0;
    // The 1st statement fails on the bad row (a data error), the 2nd (first half of the split) fails transiently.
    const store = new Proxy(base, {
      get(target, key, receiver) {
        if (key === 'query') {
          return async (sql: string, params?: unknown[]) => {
            if (!isLogInsert(sql)) return target.query(sql, params);
            n++;
            if (n === 2) throw new Error('injected connection reset');
            return target.query(sql, params);
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const logger = createPredictionLogger({
      store,
      batchSize: 100,
      maxRowsPerStatement: 100,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      onError: () => {},
      onQuarantine: () => {},
    });
    for (let i = 0; i < 100; i++) {
      logger.log({ requestId: i === 70 ? 'req-\udfff' : `req-${i}`, position: i, model, inputs: { i } });
    }
    const stats = await logger.close();
    expectBalanced(stats);
    expect(stats).toMatchObject({ logged: 100, written: 99, quarantined: 1, abandoned: 0, duplicates: 0 });
    expect((await requestIds(base, model)).size).toBe(99);
  });

  it('a statement that committed but reported failure is retried idempotently: counted as duplicates, not rows', async () => {
    const model = uniq('lost-ack');
    const base = getStore();
    let n = 0;
    const store = new Proxy(base, {
      get(target, key, receiver) {
        if (key === 'query') {
          return async (sql: string, params?: unknown[]) => {
            if (!isLogInsert(sql)) return target.query(sql, params);
            const r = await target.query(sql, params);
            if (++n === 1) throw new Error('injected: connection lost after COMMIT');
            return r;
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const logger = createPredictionLogger({
      store,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      onError: () => {},
    });
    for (let i = 0; i < 30; i++) logger.log({ requestId: `req-${i}`, model, inputs: { i } });
    const stats = await logger.close();
    expectBalanced(stats);
    expect(stats).toMatchObject({ logged: 30, written: 0, duplicates: 30, abandoned: 0, failures: 1 });
    const rows = await base.query<{ n: number }>('SELECT count(*)::int AS n FROM core_predictions WHERE model = $1', [
      model,
    ]);
    expect(rows[0]!.n).toBe(30);
  });
});
