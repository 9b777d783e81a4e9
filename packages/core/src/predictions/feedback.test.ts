import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import type { Store } from '../store/store.js';
import { describeStores } from '../testing/stores.js';
import { createPredictionLogger, type PredictionLogger } from './prediction-logger.js';
import { readLabelledWindow, readPredictions, recordFeedback } from './reader.js';

const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

/** Fails the `failAt`-th query inside a transaction (1-based). */
function failingTx(store: Store, failAt: number): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'transaction') return Reflect.get(target, key, receiver);
      return <T>(fn: (tx: Store) => Promise<T>) =>
        target.transaction((tx) => {
          let n = 0;
          const wrapped = new Proxy(tx, {
            get(t, k, r) {
              if (k !== 'query') return Reflect.get(t, k, r);
              return (sql: string, params?: unknown[]) => {
                n++;
                if (n === failAt) return Promise.reject(new Error(`injected failure at query ${n}`));
                return t.query(sql, params);
              };
            },
          });
          return fn(wrapped);
        });
    },
  });
}

describeStores('feedback for one model of a multi-model request', (getStore) => {
  let logger: PredictionLogger;
  // One triage-like request that called two models, plus a request that called only `topic`.
  const topic = uniq('topic');
  const urgency = uniq('urgency');
  const triage = uniq('triage');

  beforeAll(async () => {
    logger = createPredictionLogger({ store: getStore(), flushIntervalMs: 5 });
  });
  afterAll(async () => {
    await logger?.close();
  });

  const logRequest = async (requestId: string, models: string[]) => {
    const ids = models.map(
      (model) => logger.log({ requestId, model, version: '1', inputs: { text: 'vpn down' }, outputs: { y: 'x' } }).id,
    );
    await logger.flush();
    return ids;
  };
  const feedbackOf = async (model: string, id: string) => {
    const rows = await readPredictions({ store: getStore(), model, withFeedback: true, limit: 100 });
    return rows.find((r) => r.id === id)?.feedback;
  };

  it('applies `model` feedback only to that model of the request', async () => {
    const requestId = uniq('req');
    const [t, u] = await logRequest(requestId, [topic, urgency]);
    const r = await recordFeedback({ store: getStore(), requestId, model: topic, label: 'network' });
    expect(r.ids).toEqual([r.id]);
    expect(await feedbackOf(topic, t!)).toMatchObject({ label: 'network', matchedBy: 'model' });
    expect(await feedbackOf(urgency, u!)).toBeNull();
    const labelled = await readLabelledWindow({ store: getStore(), model: urgency, limit: 100 });
    expect(labelled.map((l) => l.prediction.id)).not.toContain(u);
  });

  it('stores a `labels` map as one row per model, each joined to its own model', async () => {
    const requestId = uniq('req');
    const [t, u] = await logRequest(requestId, [topic, urgency]);
    const r = await recordFeedback({ store: getStore(), requestId, labels: { [topic]: 'vpn', [urgency]: 'high' } });
    expect(r.ids).toHaveLength(2);
    const rows = await getStore().query<{ model: string; label: unknown }>(
      'SELECT model, label FROM core_feedback WHERE request_id = $1 ORDER BY model',
      [requestId],
    );
    expect(rows).toEqual([
      { model: topic, label: 'vpn' },
      { model: urgency, label: 'high' },
    ]);
    expect(await feedbackOf(topic, t!)).toMatchObject({ label: 'vpn', matchedBy: 'model' });
    expect(await feedbackOf(urgency, u!)).toMatchObject({ label: 'high', matchedBy: 'model' });
    const labelled = await readLabelledWindow({ store: getStore(), model: urgency, limit: 100 });
    expect(labelled.find((l) => l.prediction.id === u)?.label).toBe('high');
  });

  it('prefers prediction, then model, then request-wide feedback, whatever their times', async () => {
    const requestId = uniq(triage);
    const [t, u] = await logRequest(requestId, [topic, urgency]);
    const t0 = Date.now();
    await recordFeedback({ store: getStore(), requestId, model: topic, label: 'by-model', time: t0 });
    await recordFeedback({ store: getStore(), requestId, label: 'by-request', time: t0 + 1000 });
    expect(await feedbackOf(topic, t!)).toMatchObject({ label: 'by-model', matchedBy: 'model' });
    expect(await feedbackOf(urgency, u!)).toMatchObject({ label: 'by-request', matchedBy: 'request' });
    await recordFeedback({ store: getStore(), predictionId: t!, label: 'by-id', time: t0 - 1000 });
    expect(await feedbackOf(topic, t!)).toMatchObject({ label: 'by-id', matchedBy: 'prediction' });
  });

  it('writes a `labels` map in one transaction: a failed row leaves none', async () => {
    const requestId = uniq('req');
    await logRequest(requestId, [topic, urgency]);
    await expect(
      recordFeedback({
        store: failingTx(getStore(), 2),
        requestId,
        labels: { [topic]: 'a', [urgency]: 'b' },
      }),
    ).rejects.toThrow(/injected failure/);
    const rows = await getStore().query('SELECT id FROM core_feedback WHERE request_id = $1', [requestId]);
    expect(rows).toEqual([]);
  });

  it('rejects model without requestId and labels mixed with label, with field paths', async () => {
    const store = getStore();
    const paths = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        if (isMlopsError(err) && err.code === 'INVALID_INPUT') {
          return (err.details as { path: string }[]).map((d) => d.path);
        }
        throw err;
      }
      throw new Error('expected INVALID_INPUT');
    };
    expect(await paths(recordFeedback({ store, predictionId: 'p', model: 'm', label: 1 }))).toEqual(['model']);
    expect(await paths(recordFeedback({ store, requestId: 'r', labels: { m: 1 }, label: 2 }))).toEqual(['label']);
    expect(await paths(recordFeedback({ store, requestId: 'r', labels: {} }))).toEqual(['labels']);
    expect(await paths(recordFeedback({ store, predictionId: 'p', labels: { m: 1 } }))).toEqual(['labels']);
  });
});
