// The topic model beside scikit-learn's TF-IDF + logistic regression on the SAME texts and the SAME stratified
// 80/20 split (seed 42) as `npm run example`: the texts come from the validated `features.tickets` table (built by
// the example's data-validation flow on an in-memory store) in the example's order, the split's indices are written
// to a JSON file that Debian's python3-sklearn reads (bench/it_tickets_sklearn.py), and both results are printed.
//
//   node --import tsx examples/it-tickets/src/compare-sklearn.ts [--C 8] [--keep]
// (`npm run bench -- it-tickets-sklearn` runs it.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createStore } from '@mlops/core';
import { loadTicketTopics } from '@mlops/datasets';
import { stratifiedSplit } from '@mlops/example-kit';
import { evaluateTextModel, TFIDF, trainTextModel } from './text-model.js';
import { runTicketsFlow } from './tickets-flow.js';

const { values: args } = parseArgs({
  options: { C: { type: 'string', default: '8' }, seed: { type: 'string', default: '42' }, keep: { type: 'boolean' } },
});
const C = Number(args.C);
const SEED = Number(args.seed);
const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bench/it_tickets_sklearn.py');

const store = await createStore('memory://');
const { source } = await loadTicketTopics();
await runTicketsFlow({ store, path: source.path, ingest: { progress: false }, run: { progress: false } });
const rows = await store.query<{ text: string; topic: string }>('SELECT text, topic FROM features.tickets ORDER BY id');
await store.close();
const labels = rows.map((r) => r.topic);
const split = stratifiedSplit(labels, 0.2, SEED);
const pick = (idx: number[]) => idx.map((i) => rows[i]!.text);
const ys = (idx: number[]) => idx.map((i) => labels[i]!);
console.log(
  `${rows.length} validated tickets, train ${split.train.length} / test ${split.test.length} (stratified, seed ${SEED}); load ${loadavg()[0]!.toFixed(1)}`,
);

const t0 = performance.now();
const model = await trainTextModel(pick(split.train), ys(split.train), { C });
const fitSeconds = (performance.now() - t0) / 1000;
const ours = evaluateTextModel(model, pick(split.test), ys(split.test));

const dir = mkdtempSync(join(tmpdir(), 'mlops-sklearn-'));
const file = join(dir, 'split.json');
writeFileSync(
  file,
  JSON.stringify({ texts: rows.map((r) => r.text), labels, train: split.train, test: split.test, tfidf: TFIDF }),
);
const probe = spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
let sklearn: { C: number; accuracy: number; macro_f1: number; fit_seconds: number }[] = [];
if (probe.status !== 0) {
  console.log(
    `scikit-learn baseline skipped: ${PYTHON} with sklearn is not available (apt-get install python3-sklearn)`,
  );
} else {
  const res = spawnSync(PYTHON, [SCRIPT, file, String(C), '1'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`sklearn script failed: ${res.stderr}`);
  sklearn = JSON.parse(res.stdout);
  console.log(`scikit-learn ${probe.stdout.trim()} (split indices: ${args.keep ? file : 'temporary file'})`);
}
if (!args.keep) rmSync(dir, { recursive: true, force: true });

const fmt = (x: number) => x.toFixed(4);
console.log('\nmodel                                   | macro-F1 | accuracy | fit (s)');
console.log(
  `mlops-ts TF-IDF + softmax, C=${C}`.padEnd(40),
  `| ${fmt(ours.macro.f1)}   | ${fmt(ours.accuracy)}   | ${fitSeconds.toFixed(1)}`,
);
for (const s of sklearn) {
  console.log(
    `sklearn TF-IDF + LogisticRegression, C=${s.C}`.padEnd(40),
    `| ${fmt(s.macro_f1)}   | ${fmt(s.accuracy)}   | ${s.fit_seconds.toFixed(1)}`,
  );
}
const same = sklearn.find((s) => s.C === C);
if (same) {
  console.log(
    `\nmacro-F1 ratio ours / sklearn (same C): ${(ours.macro.f1 / same.macro_f1).toFixed(3)} (aim ≥ 1.0); fit time ratio ${(fitSeconds / same.fit_seconds).toFixed(2)}`,
  );
}
