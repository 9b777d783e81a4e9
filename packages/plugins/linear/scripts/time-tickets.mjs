#!/usr/bin/env node
// Times TF-IDF + softmax training on the 2,000-ticket slice of the parity fixture (built packages).
// Run: node scripts/build.mjs @mlops/core @mlops/datasets @mlops/plugin-linear
//      node packages/plugins/linear/scripts/time-tickets.mjs [repeats]
import { readFileSync } from 'node:fs';
import { precisionRecallF1 } from '@mlops/core/metrics';
import { tfidfVectorizer } from '@mlops/core/preprocessing';
import { loadTicketTopics } from '@mlops/datasets';
import { fitLinear } from '@mlops/plugin-linear';

const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/sklearn-tickets.json', import.meta.url), 'utf8'));
const repeats = Number(process.argv[2] ?? 3);
const { rows } = await loadTicketTopics({ offline: true });
const train = fixture.trainRows.map((i) => rows[i]);
const test = fixture.testRows.map((i) => rows[i]);

const times = { tfidf: [], fit: [] };
let result;
for (let r = 0; r < repeats; r++) {
  let t = performance.now();
  const fitted = tfidfVectorizer({ minDf: 2, ngramRange: [1, 2], sublinearTf: true }).fit({
    text: train.map((x) => x.text),
  });
  const xTrain = fitted.transform({ text: train.map((x) => x.text) });
  const xTest = fitted.transform({ text: test.map((x) => x.text) });
  times.tfidf.push(performance.now() - t);
  t = performance.now();
  const model = await fitLinear({ x: xTrain, y: train.map((x) => x.topic) }, { C: 10, tol: 1e-6, maxIter: 1000 });
  times.fit.push(performance.now() - t);
  const f1 = precisionRecallF1(
    test.map((x) => x.topic),
    model.predict(xTest),
  ).macro.f1;
  result = { features: xTrain.nCols, nnz: xTrain.indptr[xTrain.nRows], iterations: model.info.nIter, f1 };
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(
  JSON.stringify({
    ...result,
    sklearnMacroF1: fixture.macroF1,
    sklearnIterations: fixture.nIter,
    tfidfMs: Math.round(median(times.tfidf)),
    fitMs: Math.round(median(times.fit)),
    fitMsAll: times.fit.map(Math.round),
  }),
);
