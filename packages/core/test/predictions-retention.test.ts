import { randomUUID } from 'node:crypto';
import { isMlopsError, type Store } from '@mlops/core';
import {
  createPredictionLogger,
  type PredictionLogInputs,
  prunePredictions,
  readLabelledWindow,
  readPredictions,
  recordFeedback,
} from '@mlops/core/predictions';
import { describeStores } from '@mlops/core/testing';
import { describe, expect, it } from 'vitest';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

/** Logs one prediction per entry of `ages` (days before NOW), request `r<i>`, and returns their ids. */
async function logAt(store: Store, model: string, ages: number[], requestOf = (i: number) => `${model}-r${i}`) {
  const logger = createPredictionLogger({ store, flushIntervalMs: DAY });
  const ids = ages.map(
    (age, i) =>
      logger.log({ requestId: requestOf(i), model, time: NOW - age * DAY, inputs: { x: i }, outputs: { y: i } }).id,
  );
  await logger.close();
  return ids;
}

async function idsOf(store: Store, model: string): Promise<string[]> {
  return (await readPredictions({ store, model, limit: 10_000 })).map((p) => p.id);
}

/** Wraps a store, recording each transaction and how many event-loop turns had run when it started. */
function countingStore(store: Store) {
  const turns: number[] = [];
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'transaction') {
        return <T>(fn: (tx: Store) => Promise<T>) => {
          turns.push(turn);
          return target.transaction(fn);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return {
    store: proxy,
    turns,
    stop: () => {
      ticking = false;
    },
  };
}

describe('prunePredictions options (no database needed)', () => {
  it('asks for maxAgeMs or maxRows, and refuses bad values with INVALID_INPUT', async () => {
    const store = { driver: 'pglite' } as Store;
    for (const bad of [{}, { maxRows: -1 }, { maxAgeMs: Number.NaN }, { maxRows: 1, batchSize: 0 }, { model: '' }]) {
      const err = await prunePredictions(store, bad as never).catch((e: unknown) => e);
      expect(isMlopsError(err) && err.code).toBe('INVALID_INPUT');
    }
  });
});

describe('prunePredictions values PostgreSQL cannot take (no database needed)', () => {
  it.each([
    ['a model holding U+0000', { model: 'a\u0000', maxRows: 1 }, 'options.model'],
    ['a now beyond what a Date holds', { maxAgeMs: 1, now: 1e20 }, 'options.now'],
  ])('refuses %s with INVALID_INPUT at its field', async (_name, options, path) => {
    const err = await prunePredictions({ driver: 'pglite' } as Store, options).catch((e: unknown) => e);
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
  });
});

describeStores('prediction log retention', (getStore) => {
  it('a maxAgeMs reaching back before the year 1 deletes nothing (instead of failing)', async () => {
    const store = getStore();
    const model = uniq('ancient');
    await logAt(store, model, [40, 1]);
    for (const maxAgeMs of [1e300, 1e17, Number.MAX_VALUE]) {
      const r = await prunePredictions(store, { model, maxAgeMs, now: NOW });
      expect(r.predictions, String(maxAgeMs)).toBe(0);
    }
    expect(await idsOf(store, model)).toHaveLength(2);
    // with maxRows, the row limit still applies
    expect((await prunePredictions(store, { model, maxAgeMs: 1e300, maxRows: 1, now: NOW })).predictions).toBe(1);
  });

  it('deletes the predictions older than maxAgeMs of one model only, and counts them', async () => {
    const store = getStore();
    const [a, b] = [uniq('age-a'), uniq('age-b')];
    const aIds = await logAt(store, a, [40, 31, 29, 1]);
    const bIds = await logAt(store, b, [40, 1]);
    const r = await prunePredictions(store, { model: a, maxAgeMs: 30 * DAY, now: NOW });
    expect(r).toMatchObject({ predictions: 2, feedback: 0, byModel: { [a]: 2 }, aborted: false });
    expect((await idsOf(store, a)).sort()).toEqual([aIds[2]!, aIds[3]!].sort());
    expect((await idsOf(store, b)).sort()).toEqual([...bIds].sort());
    // Nothing left to prune: a no-op.
    expect((await prunePredictions(store, { model: a, maxAgeMs: 30 * DAY, now: NOW })).predictions).toBe(0);
  });

  it('keeps the newest maxRows of every model when no model is named', async () => {
    const store = getStore();
    const [a, b, c] = [uniq('rows-a'), uniq('rows-b'), uniq('rows-c')];
    const aIds = await logAt(store, a, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const bIds = await logAt(store, b, [5, 4, 3, 2, 1]);
    const cIds = await logAt(store, c, [1, 0]);
    const r = await prunePredictions(store, { maxRows: 3, now: NOW });
    expect(r.byModel[a]).toBe(7);
    expect(r.byModel[b]).toBe(2);
    expect(r.byModel[c]).toBeUndefined();
    expect((await idsOf(store, a)).sort()).toEqual(aIds.slice(7).sort());
    expect((await idsOf(store, b)).sort()).toEqual(bIds.slice(2).sort());
    expect((await idsOf(store, c)).sort()).toEqual([...cIds].sort());
  });

  it('keeps exactly maxRows when predictions share one time (ties broken by id)', async () => {
    const store = getStore();
    const m = uniq('ties');
    await logAt(store, m, [1, 1, 1, 1, 1, 1]);
    await prunePredictions(store, { model: m, maxRows: 4 });
    expect(await idsOf(store, m)).toHaveLength(4);
    await prunePredictions(store, { model: m, maxRows: 0 });
    expect(await idsOf(store, m)).toEqual([]);
  });

  it('applies maxAgeMs and maxRows together: whichever deletes more', async () => {
    const store = getStore();
    const m = uniq('both');
    const ids = await logAt(store, m, [50, 40, 3, 2, 1, 0]);
    await prunePredictions(store, { model: m, maxAgeMs: 30 * DAY, maxRows: 3, now: NOW });
    expect((await idsOf(store, m)).sort()).toEqual(ids.slice(3).sort());
  });

  it('deletes in batches of batchSize, one transaction each, letting the event loop run between them', async () => {
    const m = uniq('batches');
    await logAt(getStore(), m, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const counting = countingStore(getStore());
    try {
      const r = await prunePredictions(counting.store, { model: m, maxRows: 0, batchSize: 4 });
      expect(r).toMatchObject({ predictions: 10, batches: 3 });
      expect(counting.turns).toHaveLength(3);
      for (let i = 1; i < counting.turns.length; i++) {
        expect(counting.turns[i]!).toBeGreaterThan(counting.turns[i - 1]!);
      }
    } finally {
      counting.stop();
    }
  });

  it('stops between batches when its signal is aborted', async () => {
    const store = getStore();
    const m = uniq('abort');
    await logAt(store, m, [5, 4, 3, 2, 1, 0]);
    const ac = new AbortController();
    const proxy = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'transaction') {
          return async <T>(fn: (tx: Store) => Promise<T>) => {
            const out = await target.transaction(fn);
            ac.abort();
            return out;
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const r = await prunePredictions(proxy, { model: m, maxRows: 0, batchSize: 2, signal: ac.signal });
    expect(r).toMatchObject({ predictions: 2, batches: 1, aborted: true });
    expect(await idsOf(store, m)).toHaveLength(4);
  });

  it('deletes the feedback of pruned predictions, and keeps what the remaining ones join with', async () => {
    const store = getStore();
    const m = uniq('fb');
    // Requests: old-1 (two predictions, both old), mixed (one old, one new), new-1.
    const requests = ['old-1', 'old-1', 'mixed', 'mixed', 'new-1'].map((r) => `${m}-${r}`);
    const ids = await logAt(store, m, [40, 40, 40, 1, 1], (i) => requests[i]!);
    await recordFeedback({ store, predictionId: ids[0]!, label: 'by id, pruned' });
    await recordFeedback({ store, requestId: `${m}-old-1`, label: 'by request, all pruned' });
    await recordFeedback({ store, requestId: `${m}-mixed`, model: m, label: 'by request, one remains' });
    await recordFeedback({ store, predictionId: ids[4]!, label: 'by id, kept' });
    // Ground truth that arrived before its prediction was written (still in a logger's buffer): kept.
    await recordFeedback({ store, predictionId: `${m}-not-yet-logged`, label: 'early' });
    await recordFeedback({ store, requestId: `${m}-not-yet-logged`, label: 'early' });

    const r = await prunePredictions(store, { model: m, maxAgeMs: 30 * DAY, now: NOW });
    expect(r).toMatchObject({ predictions: 3, feedback: 2 });
    const left = await store.query<{ label: string }>(
      `SELECT label FROM core_feedback
       WHERE prediction_id IN (SELECT jsonb_array_elements_text($1::jsonb)) OR request_id LIKE $2 ORDER BY id`,
      [JSON.stringify([...ids, `${m}-not-yet-logged`]), `${m}-%`],
    );
    expect(left.map((f) => f.label)).toEqual(['by request, one remains', 'by id, kept', 'early', 'early']);
    const labelled = await readLabelledWindow({ store, model: m });
    expect(labelled.map((l) => [l.prediction.id, l.label])).toEqual([
      [ids[3], 'by request, one remains'],
      [ids[4], 'by id, kept'],
    ]);
  });

  describe('the logger inputs option', () => {
    async function logged(store: Store, inputs: PredictionLogInputs) {
      const model = uniq(`inputs-${inputs}`);
      const logger = createPredictionLogger({ store, flushIntervalMs: DAY, inputs });
      logger.log({
        requestId: `${model}-1`,
        model,
        inputs: { amount: 12.5, text: 'secret', ok: true, tags: ['a'], meta: { k: 1 }, gone: null, nan: Number.NaN },
        outputs: { label: 'x' },
      });
      logger.logBatch({
        requestId: `${model}-2`,
        model,
        inputs: { amount: new Float64Array([1, 2]), text: ['s1', 's2'] },
        outputs: { label: ['y', 'z'] },
      });
      await logger.close();
      const raw = await store.query<{ inputs: unknown }>(
        'SELECT inputs FROM core_predictions WHERE model = $1 ORDER BY request_id, position',
        [model],
      );
      const read = await readPredictions({ store, model });
      return { raw: raw.map((r) => r.inputs), read };
    }

    it("'full' (the default) keeps the values", async () => {
      const { raw } = await logged(getStore(), 'full');
      expect(raw[0]).toEqual({
        amount: 12.5,
        text: 'secret',
        ok: true,
        tags: ['a'],
        meta: { k: 1 },
        gone: null,
        nan: null,
      });
      expect(raw[1]).toEqual({ amount: 1, text: 's1' });
    });

    it("'redacted' keeps the keys and JSON types, never a value", async () => {
      const { raw, read } = await logged(getStore(), 'redacted');
      expect(raw).toEqual([
        { amount: 'number', text: 'string', ok: 'boolean', tags: 'array', meta: 'object', gone: null, nan: null },
        { amount: 'number', text: 'string' },
        { amount: 'number', text: 'string' },
      ]);
      expect(JSON.stringify(raw)).not.toContain('secret');
      expect(read.map((p) => p.outputs)).toEqual([{ label: 'x' }, { label: 'y' }, { label: 'z' }]);
    });

    it("'none' stores NULL, read back as {}", async () => {
      const { raw, read } = await logged(getStore(), 'none');
      expect(raw).toEqual([null, null, null]);
      expect(read.map((p) => p.inputs)).toEqual([{}, {}, {}]);
      expect(read.map((p) => p.outputs)).toEqual([{ label: 'x' }, { label: 'y' }, { label: 'z' }]);
    });

    it('refuses an unknown mode with INVALID_INPUT', () => {
      let err: unknown;
      try {
        createPredictionLogger({ store: getStore(), inputs: 'some' as never });
      } catch (e) {
        err = e;
      }
      expect(isMlopsError(err) && err.code).toBe('INVALID_INPUT');
    });
  });
});
