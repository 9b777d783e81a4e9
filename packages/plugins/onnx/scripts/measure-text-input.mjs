#!/usr/bin/env node
// Measures what feeding TF-IDF features to an ONNX graph costs as a dense float32 input, on the full IT-ticket
// corpus (built packages), against the sparse input layout. Optional argument: TF-IDF maxFeatures. Run: node scripts/build.mjs @mlops/core @mlops/datasets @mlops/plugin-linear @mlops/plugin-onnx
//                               node packages/plugins/onnx/scripts/measure-text-input.mjs
import { tfidfVectorizer } from '@mlops/core/preprocessing';
import { loadTicketTopics } from '@mlops/datasets';
import { linearModel } from '@mlops/plugin-linear';
import { exportToOnnx, loadOnnxModel } from '@mlops/plugin-onnx';

const { rows } = await loadTicketTopics({ offline: true });
const texts = rows.map((r) => r.text);
const maxFeatures = process.argv[2] ? Number(process.argv[2]) : undefined;
const tfidf = tfidfVectorizer({ ngramRange: [1, 2], minDf: 2, sublinearTf: true, maxFeatures }).fit({ text: texts });
const nFeatures = tfidf.vocabulary.length;
const classes = [...new Set(rows.map((r) => r.topic))].sort();
// Weights do not change the cost: a random softmax model of the right shape.
let s = 1;
const rand = () => {
  s = (s * 16807) % 2147483647;
  return s / 2147483647 - 0.5;
};
const model = linearModel({
  kind: 'multinomial',
  classes,
  coef: Float64Array.from({ length: classes.length * nFeatures }, rand),
  intercept: new Float64Array(classes.length),
  nFeatures,
});
const exported = exportToOnnx({ model });
const batch = 1000;
const x = tfidf.transform({ text: texts.slice(0, batch) });
const time = async (fn, reps = 5) => {
  await fn();
  const t = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)];
};
const report = { vocabulary: nFeatures, classes: classes.length, onnxBytes: exported.bytes.length, batch };
report.nnzPerRow = x.indptr[x.nRows] / x.nRows;
report.denseBatchMB = (batch * nFeatures * 4) / 1e6;
report.csrBatchMB = (x.indptr[x.nRows] * 12) / 1e6;
report.tfidfTransformMs = await time(() => tfidf.transform({ text: texts.slice(0, batch) }));
report.jsModelOnCsrMs = await time(() => model.predictProbaMatrix(x));
const sparse = exportToOnnx({ model, sparseInput: true });
const one = tfidf.transform({ text: texts.slice(0, 1) });
for (const [layout, m] of [
  ['dense', exported],
  ['sparse', sparse],
]) {
  for (const threads of [1, 2]) {
    const p = await loadOnnxModel(m, { intraOpNumThreads: threads, maxBatchRows: 1024 });
    report[`${layout}_threads${threads}_batch${batch}_ms`] = await time(() => p.predict(x));
    report[`${layout}_threads${threads}_oneRow_ms`] = await time(() => p.predict(one), 50);
    await p.close();
  }
}
console.log(JSON.stringify(report, null, 2));
