import { randomUUID } from 'node:crypto';
import { isMlopsError, MlopsError, type Store } from '@mlops/core';
import { createPredictionLogger, readLabelledWindow, readPredictions, recordFeedback } from '@mlops/core/predictions';
import { describeStores } from '@mlops/core/testing';
import { describe, expect, it } from 'vitest';
import { isLogInsert } from './helpers.js';

const HOUR = 3_600_000;
const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

/** Wraps a store: counts the prediction log's INSERT statements and fails the first `failFirst` of them (or all with Infinity). */
function flakyStore(store: Store, failFirst = 0): { store: Store; inserts: () => number } {
  let n = 0;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'query') {
        return async (sql: string, params?: unknown[]) => {
          if (!isLogInsert(sql)) return target.query(sql, params);
          n++;
          if (n <= failFirst) throw new Error(`injected failure ${n}`);
          return target.query(sql, params);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { store: proxy, inserts: () => n };
}

async function countRows(store: Store, model: string): Promise<number> {
  const rows = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM core_predictions WHERE model = $1', [
    model,
  ]);
  return rows[0]!.n;
}

describe('prediction logger (no database needed)', () => {
  it('rejects bad options and malformed entries with INVALID_INPUT', () => {
    const store = {} as Store;
    expect(() => createPredictionLogger({ store, batchSize: 0 })).toThrow(/batchSize/);
    const logger = createPredictionLogger({ store, flushIntervalMs: HOUR });
    let err: unknown;
    try {
      logger.log({ requestId: 'r', model: '', inputs: {} });
    } catch (e) {
      err = e;
    }
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect(logger.stats().logged).toBe(0);
  });

  // logBatch checks a plain head by hand and leaves anything else to zod: both paths give the schema's verdict.
  it.each([
    ['a plain head', {}, undefined],
    ['an ISO time string', { time: '2026-01-02T03:04:05Z' }, undefined],
    ['a numeric time', { time: 1_700_000_000_000 }, undefined],
    ['null version and alias', { version: null, alias: null, latencyMs: null }, undefined],
    ['an empty model', { model: '' }, 'model'],
    ['a 201-character request id', { requestId: 'r'.repeat(201) }, 'requestId'],
    ['a numeric version', { version: 3 }, 'version'],
    ['a negative latency', { latencyMs: -1 }, 'latencyMs'],
    ['an infinite latency', { latencyMs: Number.POSITIVE_INFINITY }, 'latencyMs'],
    ['an invalid Date', { time: new Date('nope') }, 'time'],
    ['a time that is no date', { time: 'yesterday' }, 'time'],
  ])('logBatch with %s: the verdict of the entry schema', (_name, change, badPath) => {
    const logger = createPredictionLogger({ store: {} as Store, flushIntervalMs: HOUR });
    const head = { requestId: 'r', model: 'm', version: '1', alias: 'production', latencyMs: 2, ...change };
    const batch = { ...head, inputs: { x: [1, 2] }, outputs: { y: [3, 4] } } as Parameters<typeof logger.logBatch>[0];
    let err: unknown;
    try {
      logger.logBatch(batch);
    } catch (e) {
      err = e;
    }
    if (badPath === undefined) {
      expect(err).toBeUndefined();
      expect(logger.stats().logged).toBe(2);
    } else {
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
      expect((err as { details: { path: string }[] }).details.map((d) => d.path)).toContain(badPath);
      expect(logger.stats().logged).toBe(0);
    }
  });
});

describe('prediction log readers and feedback: arguments PostgreSQL cannot take (no database needed)', () => {
  const store = {} as Store; // never reached: the arguments are refused first
  it.each([
    ['a model holding U+0000', () => readPredictions({ store, model: 'a\u0000' }), 'model'],
    ['a version holding U+0000', () => readPredictions({ store, model: 'm', version: '\u0000' }), 'version'],
    ['an alias with a lone surrogate', () => readPredictions({ store, model: 'm', alias: 'p\ud800' }), 'alias'],
    ['a time beyond what a Date holds', () => readPredictions({ store, model: 'm', from: 1e20 }), 'from'],
    ['a time in year 0', () => readPredictions({ store, model: 'm', from: '0000-01-01T00:00:00Z' }), 'from'],
    ['a time in year 275760', () => readLabelledWindow({ store, model: 'm', to: 8.64e15 }), 'to'],
    ['feedback at a time beyond a Date', () => recordFeedback({ store, requestId: 'r', label: 1, time: 1e20 }), 'time'],
    ['feedback in year -271821', () => recordFeedback({ store, requestId: 'r', label: 1, time: -8.64e15 }), 'time'],
  ])('refuses %s with INVALID_INPUT at its field', async (_name, call, path) => {
    const err = await call().catch((e: unknown) => e);
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
  });
});

describe('prediction logger on a closed store (no database needed)', () => {
  it('abandons each batch at its first failure instead of retrying a store that is closed', async () => {
    const closed = () => Promise.reject(new MlopsError('STORE_CLOSED', 'Store memory:// is closed'));
    const store = {
      driver: 'pglite',
      url: 'memory://',
      blocksEventLoop: false,
      query: closed,
      exec: closed,
      transaction: closed,
      migrate: closed,
      close: async () => {},
    } as unknown as Store;
    const attempts: { attempt: number; abandoned: boolean }[] = [];
    const logger = createPredictionLogger({
      store,
      batchSize: 10,
      maxAttempts: 5,
      retryDelayMs: 1,
      flushIntervalMs: HOUR,
      onError: (_err, info) => attempts.push({ attempt: info.attempt, abandoned: info.abandoned }),
    });
    for (let i = 0; i < 30; i++) logger.log({ requestId: `r${i}`, model: 'm', inputs: { i } });
    const stats = await logger.close();
    expect(stats).toMatchObject({ logged: 30, written: 0, abandoned: 30, pending: 0, failures: 3 });
    expect(attempts).toEqual([1, 2, 3].map(() => ({ attempt: 1, abandoned: true })));
  });
});

describe('prediction logger: inputs that are not JSON-shaped (no database needed)', () => {
  const circular = (): Record<string, unknown> => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return o;
  };
  const nested = (depth: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { d: v };
    return v;
  };
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it.each([
    ['a circular value in inputs', { inputs: { c: circular() } }, 'inputs.c'],
    ['inputs nested 100,000 deep', { inputs: { deep: nested(100_000) } }, 'inputs.deep'],
    ['an array nested 5,000 deep', { inputs: { deep: nested(5_000) } }, 'inputs.deep'],
    ['a circular value in outputs', { inputs: {}, outputs: { c: circular() } }, 'outputs.c'],
  ])('log() refuses %s with INVALID_INPUT naming the field, and logs nothing', (_name, change, path) => {
    const logger = createPredictionLogger({ store: {} as Store, flushIntervalMs: HOUR });
    const err = thrown(() => logger.log({ requestId: 'r', model: 'm', ...change } as never));
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { path: string }[] }).details[0]!.path).toBe(path);
    expect(logger.stats().logged).toBe(0);
  });

  it('logBatch refuses a row too deep with INVALID_INPUT before accepting any row of the batch', async () => {
    const logger = createPredictionLogger({ store: {} as Store, flushIntervalMs: HOUR, durability: 'acknowledged' });
    const err = thrown(() =>
      logger.logBatch({ requestId: 'r', model: 'm', inputs: { x: [1, 2, circular()] }, outputs: { y: [1, 2, 3] } }),
    );
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { path: string }[] }).details[0]!.path).toBe('inputs.x.2');
    expect(logger.stats()).toMatchObject({ logged: 0, pending: 0 });
  });

  it.each([
    ['ragged input columns', { inputs: { x: [1, 2], y: [1] } }, 'inputs.y'],
    ['an input column that is a number', { inputs: { x: 5 } }, 'inputs.x'],
    ['an input column that is a string', { inputs: { x: 'abc' } }, 'inputs.x'],
    ['an output column that is no array', { inputs: { x: [1] }, outputs: { y: { length: 1 } } }, 'outputs.y'],
    ['ragged output columns', { inputs: { x: [1] }, outputs: { y: [1], z: [1, 2] } }, 'outputs.z'],
  ])('logBatch refuses %s with INVALID_INPUT at the column', (_name, change, path) => {
    const logger = createPredictionLogger({ store: {} as Store, flushIntervalMs: HOUR });
    const err = thrown(() => logger.logBatch({ requestId: 'r', model: 'm', ...change } as never));
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { path: string }[] }).details[0]!.path).toBe(path);
    expect(logger.stats().logged).toBe(0);
  });

  it.each([
    ['an empty id', ['a', '']],
    ['a 201-character id', ['a', 'i'.repeat(201)]],
    ['an id that is no string', ['a', 7]],
  ])('logBatch refuses %s as log() does, with INVALID_INPUT at ids.1', (_name, ids) => {
    const logger = createPredictionLogger({ store: {} as Store, flushIntervalMs: HOUR });
    const err = thrown(() =>
      logger.logBatch({ requestId: 'r', model: 'm', inputs: { x: [1, 2] }, ids: ids as string[] }),
    );
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { path: string }[] }).details[0]!.path).toBe('ids.1');
    expect(logger.stats().logged).toBe(0);
  });
});

describeStores('prediction log', (getStore) => {
  it('a clean shutdown loses nothing: thousands of entries, all written', async () => {
    const model = uniq('clean');
    const { store, inserts } = flakyStore(getStore());
    const logger = createPredictionLogger({ store, batchSize: 250, flushIntervalMs: 5, maxBuffer: 100_000 });
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const r = logger.log({ requestId: `req-${i}`, model, version: '1', inputs: { x: i }, outputs: { y: i * 2 } });
      expect(r.accepted).toBe(true);
      // Let the writer run part-way through, so shutdown meets a half-written buffer.
      if (i % 1000 === 999) await new Promise((res) => setImmediate(res));
    }
    const stats = await logger.close();
    expect(stats).toMatchObject({ logged: n, written: n, dropped: 0, abandoned: 0, pending: 0, failures: 0 });
    expect(await countRows(getStore(), model)).toBe(n);
    // One multi-row INSERT per batch: at least n / batchSize inserts, far fewer than one per entry.
    expect(inserts()).toBeGreaterThanOrEqual(n / 250);
    expect(inserts()).toBeLessThan(n / 10);
    const rows = await readPredictions({ store: getStore(), model, limit: 10_000 });
    expect(new Set(rows.map((r) => (r.inputs as { x: number }).x)).size).toBe(n);
  });

  it('writes exactly one INSERT per batch when flushed', async () => {
    const model = uniq('batches');
    const { store, inserts } = flakyStore(getStore());
    const logger = createPredictionLogger({
      store,
      batchSize: 100,
      maxRowsPerStatement: 100,
      flushIntervalMs: HOUR,
      maxBuffer: 10_000,
    });
    for (let i = 0; i < 1000; i++) logger.log({ requestId: 'r', position: i, model, inputs: { i } });
    await logger.flush();
    expect(inserts()).toBe(10);
    expect(await countRows(getStore(), model)).toBe(1000);
    await logger.close();
  });

  it('writes a batch in statements of maxRowsPerStatement, letting the event loop run between them', async () => {
    const model = uniq('statements');
    const { store, inserts } = flakyStore(getStore());
    const logger = createPredictionLogger({ store, batchSize: 120, maxRowsPerStatement: 50, flushIntervalMs: HOUR });
    for (let i = 0; i < 120; i++) logger.log({ requestId: 'r', position: i, model, inputs: { i } });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const stats = await logger.flush();
    clearInterval(ticker);
    expect(inserts()).toBe(3); // 50 + 50 + 20
    expect(stats).toMatchObject({ written: 120, pending: 0 });
    expect(ticks).toBeGreaterThan(0);
    expect(await countRows(getStore(), model)).toBe(120);
    await logger.close();
  });

  it('retries a batch that failed after some of its statements committed without writing a row twice', async () => {
    const model = uniq('partial');
    let n = 0;
    const base = getStore();
    const store = new Proxy(base, {
      get(target, key, receiver) {
        if (key === 'query') {
          return async (sql: string, params?: unknown[]) => {
            if (!isLogInsert(sql)) return target.query(sql, params);
            n++;
            if (n === 2) throw new Error('injected failure in the second statement');
            return target.query(sql, params);
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const logger = createPredictionLogger({
      store,
      batchSize: 100,
      maxRowsPerStatement: 40,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      onError: () => {},
    });
    for (let i = 0; i < 100; i++) logger.log({ requestId: 'r', position: i, model, inputs: { i } });
    const stats = await logger.flush();
    expect(stats).toMatchObject({ written: 100, failures: 1, abandoned: 0, pending: 0 });
    expect(await countRows(base, model)).toBe(100);
    await logger.close();
  });

  it('drops and counts when the buffer is full, and still writes what it accepted', async () => {
    const model = uniq('overflow');
    const logger = createPredictionLogger({
      store: getStore(),
      maxBuffer: 100,
      batchSize: 100,
      flushIntervalMs: HOUR,
    });
    const results = Array.from({ length: 150 }, (_, i) => logger.log({ requestId: `r${i}`, model, inputs: { i } }));
    expect(results.filter((r) => r.accepted)).toHaveLength(100);
    expect(logger.stats()).toMatchObject({ logged: 100, dropped: 50, pending: 100 });
    const stats = await logger.close();
    expect(stats).toMatchObject({ logged: 100, written: 100, dropped: 50, pending: 0 });
    expect(await countRows(getStore(), model)).toBe(100);
    // After close, entries are refused and counted.
    expect(logger.log({ requestId: 'late', model, inputs: {} }).accepted).toBe(false);
    expect(logger.stats().dropped).toBe(51);
  });

  it('retries failed writes and never throws into the caller', async () => {
    const model = uniq('retry');
    const { store } = flakyStore(getStore(), 2);
    const errors: number[] = [];
    const logger = createPredictionLogger({
      store,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      onError: (_e, info) => errors.push(info.attempt),
    });
    for (let i = 0; i < 20; i++) logger.log({ requestId: 'r', position: i, model, inputs: { i } });
    const stats = await logger.flush();
    expect(stats).toMatchObject({ written: 20, failures: 2, abandoned: 0, pending: 0 });
    expect(stats.lastError).toContain('injected failure');
    expect(errors).toEqual([1, 2]);
    expect(await countRows(getStore(), model)).toBe(20);
    await logger.close();
  });

  it('abandons a batch after maxAttempts, counts it, and keeps working', async () => {
    const model = uniq('abandon');
    const { store } = flakyStore(getStore(), 3);
    const logger = createPredictionLogger({
      store,
      flushIntervalMs: HOUR,
      retryDelayMs: 1,
      maxAttempts: 3,
      onError() {},
    });
    for (let i = 0; i < 5; i++) logger.log({ requestId: 'r', position: i, model, inputs: { i } });
    const s1 = await logger.flush();
    expect(s1).toMatchObject({ logged: 5, written: 0, abandoned: 5, failures: 3, pending: 0 });
    logger.log({ requestId: 'r2', model, inputs: { ok: true } });
    const s2 = await logger.close();
    expect(s2).toMatchObject({ logged: 6, written: 1, abandoned: 5 });
    expect(await countRows(getStore(), model)).toBe(1);
  });

  it('logBatch stores one row per input row with JSON-safe values; reads back by model, version and window', async () => {
    const model = uniq('batch');
    const logger = createPredictionLogger({ store: getStore(), flushIntervalMs: HOUR });
    const t0 = new Date('2026-01-01T00:00:00Z');
    const r = logger.logBatch({
      requestId: 'req-1',
      model,
      version: '3',
      alias: 'production',
      time: t0,
      latencyMs: 12.5,
      inputs: {
        x: new Float32Array([1.5, Number.NaN]),
        big: new BigInt64Array([1n, 2n ** 62n]),
        text: ['a\u0000b', 'c'],
      },
      outputs: { y: new Float64Array([0.25, 0.75]) },
    });
    expect(r.accepted).toBe(2);
    logger.log({ requestId: 'req-2', model, version: '4', time: new Date(t0.getTime() + HOUR), inputs: { x: 9 } });
    await logger.close();

    const all = await readPredictions({ store: getStore(), model });
    expect(all.map((p) => [p.requestId, p.position, p.version])).toEqual([
      ['req-1', 0, '3'],
      ['req-1', 1, '3'],
      ['req-2', 0, '4'],
    ]);
    expect(all[0]).toMatchObject({
      id: r.ids[0],
      alias: 'production',
      latencyMs: 12.5,
      inputs: { x: 1.5, big: 1, text: 'a\uFFFDb' },
      outputs: { y: 0.25 },
    });
    expect(all[0]!.time.toISOString()).toBe(t0.toISOString());
    expect(all[1]!.inputs).toEqual({ x: null, big: String(2n ** 62n), text: 'c' });

    expect(await readPredictions({ store: getStore(), model, version: '4' })).toHaveLength(1);
    const window = await readPredictions({ store: getStore(), model, from: t0, to: new Date(t0.getTime() + 1) });
    expect(window.map((p) => p.requestId)).toEqual(['req-1', 'req-1']);
    const desc = await readPredictions({ store: getStore(), model, order: 'desc', limit: 1 });
    expect(desc.map((p) => p.requestId)).toEqual(['req-2']);
  });

  it('keeps an input or output key named __proto__ (log, logBatch, redacted) instead of dropping it', async () => {
    const model = uniq('proto');
    const logger = createPredictionLogger({ store: getStore(), flushIntervalMs: HOUR });
    const redacting = createPredictionLogger({ store: getStore(), flushIntervalMs: HOUR, inputs: 'redacted' });
    logger.log({
      requestId: 'one',
      model,
      inputs: JSON.parse('{"__proto__": {"x": 1}, "a": 2}'),
      outputs: JSON.parse('{"__proto__": 3}'),
    });
    const columns = JSON.parse('{"__proto__": [5], "b": [6]}');
    logger.logBatch({ requestId: 'two', model, inputs: columns, outputs: columns });
    redacting.log({ requestId: 'three', model, inputs: JSON.parse('{"__proto__": "s"}') });
    await logger.close();
    await redacting.close();
    const rows = await readPredictions({ store: getStore(), model });
    const own = (o: unknown) => JSON.stringify(o);
    const byRequest = rows.map((r) => [r.requestId, own(r.inputs), own(r.outputs)]).sort();
    expect(byRequest).toEqual([
      ['one', '{"a":2,"__proto__":{"x":1}}', '{"__proto__":3}'],
      ['three', '{"__proto__":"string"}', 'null'],
      ['two', '{"b":6,"__proto__":5}', '{"b":6,"__proto__":5}'],
    ]);
  });

  it('joins feedback by prediction id or request id; the latest wins, and a prediction id beats its request', async () => {
    const model = uniq('feedback');
    const store = getStore();
    const logger = createPredictionLogger({ store, flushIntervalMs: HOUR });
    const t = new Date('2026-02-01T00:00:00Z');
    const a = logger.log({ requestId: 'ra', model, time: t, inputs: { i: 0 }, outputs: { label: 'cat' } }).id;
    const b = logger.log({ requestId: 'rb', model, time: t, inputs: { i: 1 }, outputs: { label: 'dog' } }).id;
    const c = logger.log({ requestId: 'rc', model, time: t, inputs: { i: 2 }, outputs: { label: 'dog' } }).id;
    // Feedback may arrive before the prediction is written.
    await recordFeedback({ store, predictionId: a, label: 'dog', time: new Date(t.getTime() + 1000) });
    await recordFeedback({ store, predictionId: a, label: 'cat', time: new Date(t.getTime() + 2000) });
    await recordFeedback({ store, requestId: 'rb', label: 'dog', value: 1 });
    await recordFeedback({ store, requestId: 'ra', label: 'bird', time: new Date(t.getTime() + 9000) });
    await logger.close();

    const rows = await readPredictions({ store, model, withFeedback: true });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(a)!.feedback).toMatchObject({ label: 'cat', matchedBy: 'prediction' });
    expect(byId.get(b)!.feedback).toMatchObject({ label: 'dog', value: 1, matchedBy: 'request' });
    expect(byId.get(c)!.feedback).toBeNull();

    const labelled = await readLabelledWindow({ store, model, from: t });
    expect(labelled.map((l) => [l.prediction.id, l.label, l.prediction.outputs?.label])).toEqual(
      expect.arrayContaining([
        [a, 'cat', 'cat'],
        [b, 'dog', 'dog'],
      ]),
    );
    expect(labelled).toHaveLength(2);
  });

  it.each([
    ['neither id', { label: 'x' }, 'predictionId'],
    ['both ids', { predictionId: 'p', requestId: 'r', label: 'x' }, 'predictionId'],
    ['no label or value', { predictionId: 'p' }, 'label'],
    ['bad time', { predictionId: 'p', label: 1, time: 'yesterday' }, 'time'],
  ])('recordFeedback rejects %s', async (_name, args, path) => {
    const err = await recordFeedback({ store: getStore(), ...args }).catch((e: unknown) => e);
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect(((err as { details: { path: string }[] }).details ?? []).map((d) => d.path)).toContain(path);
  });
});
