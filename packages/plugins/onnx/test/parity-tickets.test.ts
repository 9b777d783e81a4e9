import { type CsrMatrix, tfidfVectorizer } from '@mlops/core/preprocessing';
import { isDatasetError, loadTicketTopics, type TicketTopicRow } from '@mlops/datasets';
import { linearTrainer } from '@mlops/plugin-linear';
import { exportToOnnx, loadOnnxModel } from '@mlops/plugin-onnx';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, roundCsr, sampleIndices } from './_helpers.js';

// Parity on real data: 1,000 IT tickets (a seeded sample), TF-IDF (unigrams + bigrams) and softmax regression over
// the 8 topics. The TF-IDF stays in JS (the model package's preprocessing); the ONNX graph gets the feature vector.
let rows: TicketTopicRow[] | undefined;
let skipReason = '';

beforeAll(async () => {
  try {
    const all = (await loadTicketTopics({ offline: true })).rows;
    rows = sampleIndices(all.length, 1000, 20261123).map((i) => all[i]!);
  } catch (err) {
    if (!isDatasetError(err, 'NOT_FOUND')) throw err;
    skipReason = `IT-ticket file not available offline (${(err as Error).message.slice(0, 200)})`;
  }
});

describe('ONNX parity: softmax regression on real ticket texts [real-data]', () => {
  it('labels identical on every row, probabilities within 1e-5 (float32-rounded inputs)', async (ctx) => {
    if (!rows) {
      console.warn(`skipped: ${skipReason}`);
      ctx.skip();
      return;
    }
    const train = rows.slice(0, 800);
    const tfidf = tfidfVectorizer({ ngramRange: [1, 2], minDf: 2, sublinearTf: true }).fit({
      text: train.map((r) => r.text),
    });
    const model = await linearTrainer().fit(
      { x: tfidf.transform({ text: train.map((r) => r.text) }), y: train.map((r) => r.topic) },
      { C: 10, maxIter: 300 },
    );
    expect(model.classes.length).toBeGreaterThan(2);
    // Every row of the sample (train and held-out), rounded to float32 as the graph input is.
    const x: CsrMatrix = roundCsr(tfidf.transform({ text: rows.map((r) => r.text) }));
    const expectedLabels = model.predict(x);
    const expectedProbs = model.predictProba(x);
    // Both input layouts: a dense [N, F] matrix, and padded sparse indices/values.
    for (const sparseInput of [false, true]) {
      const predictor = await loadOnnxModel(exportToOnnx({ model, sparseInput }), {
        intraOpNumThreads: 1,
        maxBatchRows: 256,
      });
      try {
        const out = await predictor.predict(x);
        expect(out.label).toEqual(expectedLabels);
        const diff = maxAbsDiff(expectedProbs, out.probabilities as Float32Array[]);
        console.info(
          `tickets parity (${sparseInput ? 'sparse' : 'dense'} input): ${x.nRows} rows × ${x.nCols} features, ` +
            `${model.classes.length} classes, max |Δp| = ${diff.toExponential(2)}`,
        );
        expect(diff).toBeLessThan(1e-5);
      } finally {
        await predictor.close();
      }
    }
    // The model is not trivial: it predicts several topics.
    expect(new Set(expectedLabels).size).toBeGreaterThan(3);
  });
});
