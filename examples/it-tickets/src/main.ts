// IT support ticket triage, end to end, on the embedded store: real data → versioned → data report → tracked
// training with a small tuning study → evaluation → model package → registry with a gated promotion → live traffic
// served over HTTP with feedback, then an injected shift → drift detected → alert → continuous training retrains →
// gated promotion (the server hot-swaps) → rollback → an HTML report with charts.
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
  consoleAlertSink,
  createStore,
  createTracker,
  type FittedPipeline,
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
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { type LinearModel, linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { createRegistry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
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
const GRID_C = QUICK ? [1, 10] : [2, 8];
// Trials are compared on a stratified sample of the training part (the full run would otherwise spend most of its
// time tuning); the chosen C is then fitted on the whole training part.
const TUNE_ROWS = 12_000;

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
  const tuneIdx = stratifiedSample(topicOf(trainIdx), TUNE_ROWS, SEED + 1).map((k) => trainIdx[k]!);
  const inner = stratifiedSplit(topicOf(tuneIdx), 0.2, SEED + 1);
  const fitIdx = inner.train.map((k) => tuneIdx[k]!);
  const valIdx = inner.test.map((k) => tuneIdx[k]!);
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
    const model = await linearTrainer({ C, maxIter: 200 }).fit(
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

  const { features, model } = await trainTopicModel(textOf(trainIdx), topicOf(trainIdx), best.C, study);

  // 5. Evaluate on the untouched test split.
  const testFeatures = features.transform({ text: textOf(testIdx) });
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
  try {
    await registry.createModel({ name: MODEL, description: 'Topic of an IT support ticket (8 classes)' });
  } catch (err) {
    if (!isMlopsError(err, 'CONFLICT')) throw err;
  }
  const registerModel = async (
    trained: { features: FittedPipeline<CsrMatrix>; model: LinearModel },
    texts: string[],
    rep: ClassificationReport,
    runId: string,
    tags: Record<string, string>,
  ) => {
    const signature = {
      inputs: [{ name: 'text', type: 'string' as const }],
      outputs: linearOutputSignature(trained.model),
    };
    const pkg = await saveModelPackage({
      objects,
      store,
      flavor: linearFlavor(),
      model: trained.model,
      signature,
      preprocessing: trained.features,
      metrics: { accuracy: rep.accuracy, macro_f1: rep.macro.f1 },
      lineage: { runId, datasetVersions: [`tickets-topics@${versions['tickets-topics']}`] },
    });
    const { predictor } = await loadModelPackage({ objects, digest: pkg.digest, flavors: [linearFlavor()] });
    const predicted = (await predictor.predict({ text: texts })).label as string[];
    const profile = createProfile(
      { text: texts, label: predicted },
      { seed: SEED, sampleSize: QUICK ? 2000 : 5000, columnMapping: { text: ['text'], prediction: 'label' } },
    );
    const v = await registry.createVersion({
      model: MODEL,
      packageDigest: pkg.digest,
      flavor: linearFlavor().name,
      signature,
      profile,
      metrics: { accuracy: rep.accuracy, macro_f1: rep.macro.f1 },
      sourceRunId: runId,
      tags: { quick: String(QUICK), ...tags },
    });
    log('register', `registered ${MODEL} v${v.version}`, { package: pkg.digest.slice(0, 19), ...tags });
    return { version: v, predictor, profile };
  };
  const first = await registerModel({ features, model }, textOf(trainIdx), report, study.id, { trigger: 'initial' });
  const { version, profile } = first;

  // 7. Gated promotion: the candidate must reach 0.6 macro-F1 and lose at most 0.02 against production.
  const gate = {
    all: [
      { metric: 'macro_f1', op: 'gte', value: 0.6 },
      { metric: 'macro_f1', notWorseThanIncumbentBy: 0.02, direction: 'max' },
    ],
  } as const;
  try {
    const res = await registry.promote({
      model: MODEL,
      version: version.version,
      alias: 'production',
      gate,
      reason: 'example run: tuned softmax on TF-IDF',
    });
    log('promote', `v${version.version} → production`, { passed: res.decision.passed });
  } catch (err) {
    if (!isMlopsError(err, 'GATE_FAILED')) throw err;
    log('promote', `v${version.version} refused by the gate`, { reason: err.message });
  }

  let liveDrift: DriftReport | undefined;
  let shiftedDrift: DriftReport | undefined;
  let retrainStatus = 'not run';
  let rolledBackTo: number | undefined;

  // 8. Serve production over HTTP (the server follows the registry alias), replay the test tickets as live traffic
  //    with ground-truth feedback, then an injected shift: a surge of one topic and new vocabulary.
  const server = createModelServer({
    models: [{ name: MODEL, registry, alias: 'production', objects, flavors: [linearFlavor()] }],
    store,
  });
  const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const { url } = listening;
  log('serve', `serving ${MODEL}@production`, { url });
  try {
    await waitFor(async () => (await fetch(`${url}/v2/health/ready`)).ok, 'the server to load production');
    const random = seededRandom(SEED + 7);
    const liveTexts = textOf(testIdx);
    const live = await replay(url, liveTexts, topicOf(testIdx));
    log('traffic', 'replayed the test tickets with feedback', {
      requests: live.requests,
      predictions: live.n,
      accuracy: live.accuracy,
    });

    const surgeTopic = 'Hardware';
    const surge = testIdx.filter((i) => topics.rows[i]!.topic === surgeTopic);
    const others = shuffle(
      testIdx.filter((i) => topics.rows[i]!.topic !== surgeTopic),
      random,
    ).slice(0, Math.round(surge.length / 2));
    const newWords = ['teams', 'webcam', 'hybrid', 'onboarding', 'mfa', 'authenticator', 'hotdesk'];
    const shiftedIdx = shuffle([...surge, ...surge, ...others], random);
    const shiftedTexts = shiftedIdx.map((i) => {
      const extra = Array.from({ length: 3 }, () => newWords[Math.floor(random() * newWords.length)]!).join(' ');
      return random() < 0.6 ? `${topics.rows[i]!.text} ${extra}` : topics.rows[i]!.text;
    });
    const shiftedTopics = topicOf(shiftedIdx);
    const shifted = await replay(url, shiftedTexts, shiftedTopics);
    log('traffic', 'shifted traffic with feedback', {
      predictions: shifted.n,
      accuracy: shifted.accuracy,
      surge: surgeTopic,
    });

    // The drift report of both streams against the registered reference profile (the same function the policy uses).
    const driftOptions = { columnMapping: { text: ['text'], prediction: 'label' } };
    liveDrift = detectDrift(profile, { text: liveTexts, label: live.labels }, driftOptions);
    shiftedDrift = detectDrift(profile, { text: shiftedTexts, label: shifted.labels }, driftOptions);
    for (const [name, d] of [
      ['live traffic', liveDrift],
      ['shifted traffic', shiftedDrift],
    ] as const) {
      log('drift', name, {
        drifted: d.dataset.drifted,
        text: describeColumn(d, 'text'),
        prediction: describeColumn(d, 'label'),
      });
    }
    writeFileSync(join(HOME, 'reports', 'drift-shifted.html'), renderDriftReportHtml(shiftedDrift));

    // 9. Continuous training: the policy reads the server's prediction log and feedback for the production version,
    //    finds the drift, alerts, retrains on the training data plus the newly labelled tickets, and promotes the
    //    new version through the same gate; the server hot-swaps to it.
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model: MODEL,
      alias: 'production',
      triggers: { drift: true, accuracyBelow: 0.6 },
      window: { limit: shiftedTexts.length, minSamples: 30 },
      features: ['text'],
      drift: { columnMapping: { text: ['text'] } },
      gate,
      alerts: consoleAlertSink(),
      retrain: async () => {
        const texts = [...textOf(trainIdx), ...shiftedTexts];
        const labels = [...topicOf(trainIdx), ...shiftedTopics];
        const retrainRun = await tracker.startRun({
          experiment: 'ticket-topic',
          name: 'retrain (continuous training)',
          params: { C: best.C, rows: texts.length },
          tags: { trigger: 'drift' },
        });
        const trained = await trainTopicModel(texts, labels, best.C, retrainRun);
        const pred = predictLabels(trained.model, trained.features.transform({ text: textOf(testIdx) }));
        const rep = classificationReport(topicOf(testIdx), pred, { labels: [...trained.model.classes].map(String) });
        await retrainRun.logMetrics({ test_accuracy: rep.accuracy, test_macro_f1: rep.macro.f1 });
        await retrainRun.end();
        const reg = await registerModel(trained, texts, rep, retrainRun.id, { trigger: 'retrain' });
        return { version: reg.version.version };
      },
    });
    const decision = await policy.runOnce({ reason: 'example: shifted traffic' });
    retrainStatus = decision.status;
    log('retrain', `continuous training: ${decision.status}`, {
      reasons: decision.reasons.map((r) => r.trigger).join(','),
      incumbent: decision.incumbentVersion ?? 'none',
      candidate: decision.candidateVersion ?? 'none',
    });
    if (decision.status === 'promoted' && decision.candidateVersion !== null) {
      const v = decision.candidateVersion;
      await waitFor(async () => (await predictOnce(url)).version === String(v), `the server to hot-swap to v${v}`);
      log('serve', `hot-swapped to v${v}`);
      // 10. Rollback: production goes back to the previous version, and the server follows.
      const rb = await registry.rollback({
        model: MODEL,
        alias: 'production',
        reason: 'example: demonstrate rollback',
      });
      await waitFor(
        async () => (await predictOnce(url)).version === String(rb.alias.version),
        `the server to roll back to v${rb.alias.version}`,
      );
      rolledBackTo = rb.alias.version;
      log('rollback', `production → v${rb.alias.version}; the server follows`);
    }
  } finally {
    await listening.close(); // drains in-flight requests, flushes the prediction log, closes the listener
  }
  await study.end();

  // 11. The HTML report.
  const file = join(HOME, 'reports', 'it-tickets.html');
  writeFileSync(
    file,
    renderReport({
      report,
      trials,
      best,
      liveDrift: liveDrift!,
      shiftedDrift: shiftedDrift!,
      version: version.version,
      versions,
      quick: QUICK,
      retrainStatus,
      rolledBackTo,
    }),
  );
  log('done', `report: ${file}`, { dataQuality: 'data-quality.html', drift: 'drift-shifted.html' });
}

function predictLabels(model: LinearModel, x: Parameters<LinearModel['predict']>[0]): string[] {
  return Array.from(model.predict(x) as ArrayLike<string | number>, String);
}

/** Trains the topic model: TF-IDF fitted on these texts only, then softmax regression, tracked on `run`. */
async function trainTopicModel(
  texts: string[],
  labels: string[],
  C: number,
  run: Awaited<ReturnType<ReturnType<typeof createTracker>['startRun']>>,
): Promise<{ features: FittedPipeline<CsrMatrix>; model: LinearModel }> {
  const { fitted, output } = preprocessingPipeline<CsrMatrix>([
    tfidfVectorizer({ ...TFIDF, column: 'text' }),
  ]).fitTransform({ text: texts });
  const model = await linearTrainer({ C, maxIter: 200 }).fit({ x: output, y: labels }, {}, { run });
  return { features: fitted, model };
}

interface PredictResponse {
  requestId: string;
  version: string;
  predictions: { id: string; outputs: { label: string } }[];
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Sends tickets to the server in batches of 50, then the true topic of each as feedback. */
async function replay(
  url: string,
  texts: string[],
  truth: string[],
): Promise<{ n: number; requests: number; accuracy: number; labels: string[] }> {
  const labels: string[] = [];
  let requests = 0;
  for (let i = 0; i < texts.length; i += 50) {
    const batch = texts.slice(i, i + 50);
    const res = await postJson<PredictResponse>(`${url}/v1/models/${MODEL}/predict`, {
      instances: batch.map((text) => ({ text })),
    });
    requests++;
    await Promise.all(
      res.predictions.map((p, k) => postJson(`${url}/v1/feedback`, { predictionId: p.id, label: truth[i + k] })),
    );
    labels.push(...res.predictions.map((p) => String(p.outputs.label)));
  }
  const correct = labels.filter((l, k) => l === truth[k]).length;
  return { n: labels.length, requests, accuracy: correct / Math.max(1, labels.length), labels };
}

async function predictOnce(url: string): Promise<PredictResponse> {
  return postJson<PredictResponse>(`${url}/v1/models/${MODEL}/predict`, {
    instances: [{ text: 'my laptop screen is broken' }],
  });
}

/** Polls `check` until it is true (every 200 ms, up to 60 s). */
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
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
  retrainStatus: string;
  rolledBackTo: number | undefined;
}): string {
  const perClass = r.report.perClass.map((c) => ({
    label: String(c.label),
    value: c.f1,
    note: `F1 ${c.f1.toFixed(3)} · P ${c.precision.toFixed(2)} · R ${c.recall.toFixed(2)} · n ${c.support}`,
  }));
  const driftRows = (['live traffic', 'shifted traffic'] as const)
    .map((name) => {
      const d = name === 'live traffic' ? r.liveDrift : r.shiftedDrift;
      return `<tr><td>${esc(name)}</td><td>${d.dataset.drifted ? 'yes' : 'no'}</td><td>${esc(describeColumn(d, 'text'))}</td><td>${esc(describeColumn(d, 'label'))}</td></tr>`;
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
<p>Continuous training on the shifted traffic: <b>${esc(r.retrainStatus)}</b>${r.rolledBackTo === undefined ? '' : `; production was then rolled back to v${r.rolledBackTo} and the server followed`}.</p>
<p>Per-column details: <a href="drift-shifted.html">drift report of the shifted traffic</a> ·
<a href="data-quality.html">data-quality report</a>.</p></body></html>`;
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  log('error', e.message, { code: e.code ?? 'UNKNOWN' });
  process.exitCode = 1;
});
