// IT support ticket triage, end to end, on the embedded store: real data → versioned → data report → tracked
// training with a small tuning study → evaluation → model package → registry with a gated promotion → live traffic
// and an injected shift → drift detected → rollback → an HTML report with charts.
//
//   npm run example               the whole run (about a minute or two on 2 cores)
//   npm run example -- --quick    the same lifecycle on a stratified slice (CI)
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClassificationReport,
  type CsrMatrix,
  classificationReport,
  createStore,
  createTracker,
  fsObjectStore,
  isMlopsError,
  loadModelPackage,
  preprocessingPipeline,
  saveModelPackage,
  tfidfVectorizer,
  versionDataset,
} from '@mlops/core';
import { loadTicketTopics, loadTicketUrgency } from '@mlops/datasets';
import {
  createProfile,
  type DriftReport,
  dataQualityReport,
  detectDrift,
  renderDriftReportHtml,
  renderQualityReportHtml,
} from '@mlops/drift';
import { type LinearModel, linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { createRegistry } from '@mlops/registry';
import { barChart, confusionHeatmap, esc } from './charts.js';
import { log } from './log.js';
import { seededRandom, shuffle, stratifiedSample, stratifiedSplit } from './split.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    home: { type: 'string', default: '.mlops' },
    seed: { type: 'string', default: '42' },
  },
});
const QUICK = args.quick;
const SEED = Number(args.seed);
const HOME = resolve(args.home);
const MODEL = 'ticket-topic';
const TFIDF = { ngramRange: [1, 2] as [number, number], minDf: 2, maxDf: 0.9, sublinearTf: true };
// A small grid of the inverse regularisation strength: each value is one tracked trial.
const GRID_C = QUICK ? [1, 10] : [1, 4, 16];

async function main(): Promise<void> {
  mkdirSync(join(HOME, 'data'), { recursive: true });
  mkdirSync(join(HOME, 'reports'), { recursive: true });
  const store = await createStore(`pglite://${join(HOME, 'db')}`);
  const objects = fsObjectStore({ dir: join(HOME, 'objects') });
  const tracker = createTracker({ store, objects });
  const registry = await createRegistry({ store });
  try {
    await run(store, objects, tracker, registry);
  } finally {
    await registry.close();
    await store.close();
  }
}

async function run(
  store: Awaited<ReturnType<typeof createStore>>,
  objects: ReturnType<typeof fsObjectStore>,
  tracker: ReturnType<typeof createTracker>,
  registry: Awaited<ReturnType<typeof createRegistry>>,
): Promise<void> {
  log('start', QUICK ? 'quick run on a stratified slice' : 'full run', { home: HOME, seed: SEED });

  // 1. Data: the real files, sha256-verified by @mlops/datasets, copied into the project and versioned.
  const topics = await loadTicketTopics();
  const urgency = await loadTicketUrgency();
  for (const src of [topics.source, urgency.source]) {
    log('data', `loaded ${src.path}`, { origin: src.origin, sha256: src.sha256.slice(0, 12) });
  }
  const versions: Record<string, string> = {};
  for (const [name, src] of [
    ['tickets-topics', topics.source],
    ['tickets-urgency', urgency.source],
  ] as const) {
    const local = join(HOME, 'data', `${name}.csv`);
    copyFileSync(src.path, local);
    const v = await versionDataset({ path: local, name, store, objects });
    versions[name] = v.version;
    log('data', `versioned ${name}`, { version: v.version.slice(0, 12), bytes: v.size, new: v.created });
  }

  // 2. Data report: drift's data-quality report, and the urgency caveat stated plainly.
  const quality = dataQualityReport(
    { text: topics.rows.map((r) => r.text), topic: topics.rows.map((r) => r.topic) },
    { columnMapping: { text: ['text'], target: 'topic' } },
  );
  writeFileSync(join(HOME, 'reports', 'data-quality.html'), renderQualityReportHtml(quality));
  const urgencyByType = new Map<string, number>();
  for (const r of urgency.rows) {
    const key = `type=${r.ticketType} urgency=${r.urgency}`;
    urgencyByType.set(key, (urgencyByType.get(key) ?? 0) + 1);
  }
  log('report', 'data-quality report written', {
    rows: quality.summary.rows,
    duplicateRows: quality.summary.duplicateRows,
    file: join(HOME, 'reports', 'data-quality.html'),
  });
  log(
    'report',
    'caveat: urgency codes are anonymised integers and equal ticket_type for most tickets; a model of urgency mostly learns ticket_type',
    Object.fromEntries(urgencyByType),
  );

  // 3. Split: stratified 80/20 with a fixed seed (quick: a stratified slice first).
  const allLabels = topics.rows.map((r) => r.topic);
  const pool = QUICK ? stratifiedSample(allLabels, 4000, SEED) : allLabels.map((_, i) => i);
  const poolLabels = pool.map((i) => allLabels[i]!);
  const split = stratifiedSplit(poolLabels, 0.2, SEED);
  const trainIdx = split.train.map((k) => pool[k]!);
  const testIdx = split.test.map((k) => pool[k]!);
  const textOf = (idx: number[]) => idx.map((i) => topics.rows[i]!.text);
  const topicOf = (idx: number[]) => idx.map((i) => topics.rows[i]!.topic);
  log('split', 'stratified split', { train: trainIdx.length, test: testIdx.length });

  // 4. Train + tune, tracked: a parent run per study, a child run per value of C, validated on a held-out part of
  //    the training set; the best C is refitted on the whole training set.
  const inner = stratifiedSplit(topicOf(trainIdx), 0.2, SEED + 1);
  const fitIdx = inner.train.map((k) => trainIdx[k]!);
  const valIdx = inner.test.map((k) => trainIdx[k]!);
  const study = await tracker.startRun({
    experiment: 'ticket-topic',
    name: `tuning ${new Date().toISOString()}`,
    params: { model: 'softmax', tfidf: JSON.stringify(TFIDF), grid: JSON.stringify(GRID_C), quick: QUICK },
  });
  await study.logDatasetVersion({ name: 'tickets-topics', version: versions['tickets-topics']!, role: 'train' });
  const fitFeatures = preprocessingPipeline<CsrMatrix>([tfidfVectorizer({ ...TFIDF, column: 'text' })]).fitTransform({
    text: textOf(fitIdx),
  });
  const valFeatures = fitFeatures.fitted.transform({ text: textOf(valIdx) });
  const trials: { C: number; macroF1: number; runId: string }[] = [];
  for (const C of GRID_C) {
    const trial = await tracker.startRun({ experiment: 'ticket-topic', parentRunId: study.id, params: { C } });
    const model = await linearTrainer({ C, maxIter: 300 }).fit(
      { x: fitFeatures.output, y: topicOf(fitIdx) },
      {},
      { run: trial },
    );
    const pred = predictLabels(model, valFeatures);
    const rep = classificationReport(topicOf(valIdx), pred);
    await trial.logMetrics({ val_macro_f1: rep.macro.f1, val_accuracy: rep.accuracy });
    await trial.end();
    trials.push({ C, macroF1: rep.macro.f1, runId: trial.id });
    log('tune', `trial C=${C}`, { val_macro_f1: rep.macro.f1, val_accuracy: rep.accuracy });
  }
  const best = trials.reduce((a, b) => (b.macroF1 > a.macroF1 ? b : a));
  await study.logParams({ best_C: best.C });
  log('tune', 'best trial', { C: best.C, val_macro_f1: best.macroF1 });

  const features = preprocessingPipeline<CsrMatrix>([tfidfVectorizer({ ...TFIDF, column: 'text' })]).fitTransform({
    text: textOf(trainIdx),
  });
  const model = await linearTrainer({ C: best.C, maxIter: 300 }).fit(
    { x: features.output, y: topicOf(trainIdx) },
    {},
    { run: study },
  );

  // 5. Evaluate on the untouched test split.
  const testFeatures = features.fitted.transform({ text: textOf(testIdx) });
  const testPred = predictLabels(model, testFeatures);
  const report = classificationReport(topicOf(testIdx), testPred, { labels: [...model.classes].map(String) });
  await study.logMetrics({
    test_accuracy: report.accuracy,
    test_macro_f1: report.macro.f1,
    test_balanced_accuracy: report.balancedAccuracy,
  });
  log('evaluate', 'test split', {
    accuracy: report.accuracy,
    macro_f1: report.macro.f1,
    balanced_accuracy: report.balancedAccuracy,
  });

  // 6. Package (model + fitted TF-IDF, content-addressed) and register it with the reference profile of its data.
  const signature = { inputs: [{ name: 'text', type: 'string' as const }], outputs: linearOutputSignature(model) };
  const pkg = await saveModelPackage({
    objects,
    store,
    flavor: linearFlavor(),
    model,
    signature,
    preprocessing: features.fitted,
    metrics: { accuracy: report.accuracy, macro_f1: report.macro.f1 },
    lineage: { runId: study.id, datasetVersions: [`tickets-topics@${versions['tickets-topics']}`] },
  });
  const { predictor } = await loadModelPackage({ objects, digest: pkg.digest, flavors: [linearFlavor()] });
  const trainTexts = textOf(trainIdx);
  const trainPred = (await predictor.predict({ text: trainTexts })).label as string[];
  const profile = createProfile(
    { text: trainTexts, topic: trainPred },
    { seed: SEED, sampleSize: QUICK ? 2000 : 5000, columnMapping: { text: ['text'], prediction: 'topic' } },
  );
  try {
    await registry.createModel({ name: MODEL, description: 'Topic of an IT support ticket (8 classes)' });
  } catch (err) {
    if (!isMlopsError(err, 'CONFLICT')) throw err;
  }
  const version = await registry.createVersion({
    model: MODEL,
    packageDigest: pkg.digest,
    flavor: linearFlavor().name,
    signature,
    profile,
    metrics: { accuracy: report.accuracy, macro_f1: report.macro.f1 },
    sourceRunId: study.id,
    tags: { quick: String(QUICK) },
  });
  log('register', `registered ${MODEL} v${version.version}`, { package: pkg.digest.slice(0, 19) });

  // 7. Gated promotion: the candidate must reach 0.6 macro-F1 and lose at most 0.02 against production.
  const gate = {
    all: [
      { metric: 'macro_f1', op: 'gte', value: 0.6 },
      { metric: 'macro_f1', notWorseThanIncumbentBy: 0.02, direction: 'max' },
    ],
  } as const;
  let promoted = false;
  try {
    const res = await registry.promote({
      model: MODEL,
      version: version.version,
      alias: 'production',
      gate,
      reason: 'example run: tuned softmax on TF-IDF',
    });
    promoted = res.decision.passed;
    log('promote', `v${version.version} → production`, { passed: res.decision.passed });
  } catch (err) {
    if (!isMlopsError(err, 'GATE_FAILED')) throw err;
    log('promote', `v${version.version} refused by the gate`, { reason: err.message });
  }

  // 8. Live traffic, then an injected shift: a surge of one topic and new vocabulary.
  const random = seededRandom(SEED + 7);
  const liveTexts = textOf(testIdx);
  const surgeTopic = 'Hardware';
  const surge = testIdx.filter((i) => topics.rows[i]!.topic === surgeTopic);
  const others = shuffle(
    testIdx.filter((i) => topics.rows[i]!.topic !== surgeTopic),
    random,
  ).slice(0, Math.round(surge.length / 2));
  const newWords = ['teams', 'webcam', 'hybrid', 'onboarding', 'mfa', 'authenticator', 'hotdesk'];
  const shiftedTexts = shuffle([...surge, ...surge, ...others], random).map((i) => {
    const extra = Array.from({ length: 3 }, () => newWords[Math.floor(random() * newWords.length)]!).join(' ');
    return random() < 0.6 ? `${topics.rows[i]!.text} ${extra}` : topics.rows[i]!.text;
  });
  const driftOptions = { columnMapping: { text: ['text'], prediction: 'topic' } };
  const liveDrift = detectDrift(
    profile,
    { text: liveTexts, topic: (await predictor.predict({ text: liveTexts })).label as string[] },
    driftOptions,
  );
  const shiftedDrift = detectDrift(
    profile,
    { text: shiftedTexts, topic: (await predictor.predict({ text: shiftedTexts })).label as string[] },
    driftOptions,
  );
  for (const [name, d] of [
    ['live traffic', liveDrift],
    ['shifted traffic', shiftedDrift],
  ] as const) {
    log('drift', name, {
      drifted: d.dataset.drifted,
      text: describeColumn(d, 'text'),
      prediction: describeColumn(d, 'topic'),
    });
  }
  writeFileSync(join(HOME, 'reports', 'drift-shifted.html'), renderDriftReportHtml(shiftedDrift));
  if (shiftedDrift.dataset.drifted || shiftedDrift.predictionDrift) {
    log(
      'alert',
      'drift detected on shifted traffic: retraining is due (continuous training arrives with @mlops/pipelines)',
    );
  }

  // 9. Rollback: production moves back to the previous version when there is one.
  const aliases = await registry.aliasHistory({ model: MODEL, alias: 'production' });
  if (promoted && aliases.items.length > 1) {
    const rb = await registry.rollback({ model: MODEL, alias: 'production', reason: 'example: demonstrate rollback' });
    log('rollback', `production → v${rb.alias.version}`);
    const back = await registry.promote({
      model: MODEL,
      version: version.version,
      alias: 'production',
      gate,
      reason: 'example: restore the tuned model',
    });
    log('rollback', `production → v${version.version} again`, { passed: back.decision.passed });
  } else {
    log('rollback', 'first production version: nothing to roll back to yet (run the example again to see it)');
  }
  await study.end();

  // 10. The HTML report.
  const file = join(HOME, 'reports', 'it-tickets.html');
  writeFileSync(
    file,
    renderReport({ report, trials, best, liveDrift, shiftedDrift, version: version.version, versions, quick: QUICK }),
  );
  log('done', `report: ${file}`, { dataQuality: 'data-quality.html', drift: 'drift-shifted.html' });
}

function predictLabels(model: LinearModel, x: Parameters<LinearModel['predict']>[0]): string[] {
  return Array.from(model.predict(x) as ArrayLike<string | number>, String);
}

function describeColumn(d: DriftReport, column: string): string {
  const c = d.columns.find((x) => x.column === column);
  return c ? `${c.test} ${c.score.toFixed(3)}${c.drifted ? ' drifted' : ''}` : 'n/a';
}

function renderReport(r: {
  report: ClassificationReport;
  trials: { C: number; macroF1: number }[];
  best: { C: number };
  liveDrift: DriftReport;
  shiftedDrift: DriftReport;
  version: number;
  versions: Record<string, string>;
  quick: boolean;
}): string {
  const perClass = r.report.perClass.map((c) => ({
    label: String(c.label),
    value: c.f1,
    note: `F1 ${c.f1.toFixed(3)} · P ${c.precision.toFixed(2)} · R ${c.recall.toFixed(2)} · n ${c.support}`,
  }));
  const driftRows = (['live traffic', 'shifted traffic'] as const)
    .map((name) => {
      const d = name === 'live traffic' ? r.liveDrift : r.shiftedDrift;
      return `<tr><td>${esc(name)}</td><td>${d.dataset.drifted ? 'yes' : 'no'}</td><td>${esc(describeColumn(d, 'text'))}</td><td>${esc(describeColumn(d, 'topic'))}</td></tr>`;
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>IT ticket triage — mlops-ts example</title>
<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}h2{margin-top:2rem}
.kpi{display:inline-block;margin-right:2rem}.kpi b{font-size:1.6rem;display:block}</style></head><body>
<h1>IT ticket triage — topic model</h1>
<p>${r.quick ? '<b>Quick run</b> on a stratified slice. ' : ''}Model <code>${esc(MODEL)}</code> v${r.version} (softmax regression on TF-IDF,
C=${r.best.C}); data versions: ${Object.entries(r.versions)
    .map(([k, v]) => `<code>${esc(k)}@${esc(v.slice(0, 12))}</code>`)
    .join(', ')}.</p>
<div><span class="kpi"><b>${r.report.accuracy.toFixed(3)}</b>accuracy</span><span class="kpi"><b>${r.report.macro.f1.toFixed(3)}</b>macro-F1</span>
<span class="kpi"><b>${r.report.balancedAccuracy.toFixed(3)}</b>balanced accuracy</span><span class="kpi"><b>${r.report.n}</b>test tickets</span></div>
<h2>Tuning</h2>${barChart(
    r.trials.map((t) => ({ label: `C = ${t.C}`, value: t.macroF1 })),
    { max: 1, title: 'validation macro-F1 per trial' },
  )}
<h2>Per-class F1 (test split)</h2>${barChart(perClass, { max: 1, width: 860, noteWidth: 300 })}
<h2>Confusion matrix</h2>${confusionHeatmap(
    r.report.confusionMatrix.labels.map(String),
    r.report.confusionMatrix.matrix,
  )}
<h2>Drift</h2><table><tr><th>traffic</th><th>dataset drift</th><th>text column</th><th>prediction drift</th></tr>${driftRows}</table>
<p>Per-column details: <a href="drift-shifted.html">drift report of the shifted traffic</a> ·
<a href="data-quality.html">data-quality report</a>.</p></body></html>`;
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  log('error', e.message, { code: e.code ?? 'UNKNOWN' });
  process.exitCode = 1;
});
