// IT support ticket triage, end to end, on the embedded store: real data → versioned → ingested and validated in the
// store (raw → staging → features, with data tests) → data report → tracked training of a topic model (with a small
// tuning study) and an urgency model → evaluation → ONNX export with a parity check → registry with gated promotion →
// both models served over HTTP with the triage endpoint, live traffic with feedback → an injected shift → drift
// detected → alert → continuous training retrains → gated promotion (the server hot-swaps) → rollback → HTML report.
//
//   npm run example               the whole run
//   npm run example -- --quick    the same lifecycle on a stratified slice (CI)
//   --home DIR (default .mlops)  --seed N  --objects URL: the object store of datasets and model packages, a folder or
//   s3://bucket/prefix?endpoint=…&forcePathStyle=true (@mlops/plugin-s3); default MLOPS_OBJECTS, else <home>/objects
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  consoleAlertSink,
  createStore,
  isMlopsError,
  loadModelPackage,
  type ObjectStore,
  readModelPackageManifest,
  type Store,
} from '@mlops/core';
import type { ClassificationReport } from '@mlops/core/metrics';
import { openObjectStore } from '@mlops/core/objects';
import { createTracker } from '@mlops/core/tracking';
import { createProfile, type DriftReport, detectDrift, renderDriftReportHtml } from '@mlops/drift';
import { log, seededRandom, shuffle, stratifiedSample, stratifiedSplit } from '@mlops/example-kit';
import {
  type Calibrator,
  calibratorFromMetadata,
  calibratorMetadata,
  estimatePerformance,
  fitCalibrator,
  type PerformanceEstimate,
} from '@mlops/monitoring';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { ONNX_FLAVOR_NAME } from '@mlops/plugin-onnx';
import { createRegistry, type GateComparison, type Registry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { prepareData } from './data.js';
import { describeColumn, type EstimateRow, renderReport } from './report.js';
import {
  evaluateTextModel,
  packageTextModel,
  predictProbabilities,
  type TextModel,
  TFIDF,
  textModelFlavors,
  trainTextModel,
} from './text-model.js';
import { postJson, predictOnce, replay, waitFor } from './traffic.js';
import { createTriage, registryClasses, type TriageResponse as TriageResult } from './triage/index.js';
import { C_SPACE, tuneTopicC } from './tune.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    home: { type: 'string', default: '.mlops' },
    objects: { type: 'string' },
    seed: { type: 'string', default: '42' },
  },
});
const QUICK = args.quick;
const SEED = Number(args.seed);
const HOME = resolve(args.home);
const TOPIC = 'ticket-topic';
const URGENCY = 'ticket-urgency';
// Trials of the study tuning the inverse regularisation strength C (src/tune.ts): each is one tracked child run.
const TRIALS = QUICK ? 2 : 4;
// Trials are compared on a stratified sample of the training part (the full run would otherwise spend most of its
// time tuning); the chosen C is then fitted on the whole training part.
const TUNE_ROWS = 12_000;
// Held-out tickets replayed as live traffic (each one a prediction and a feedback request). The test tickets not
// replayed calibrate the model's probabilities (quick: half of the test split each).
const LIVE_ROWS = 3000;
// The topic model must reach 0.6 macro-F1 and lose at most 0.02 against production.
const TOPIC_GATE = {
  all: [
    { metric: 'macro_f1', op: 'gte', value: 0.6 },
    { metric: 'macro_f1', notWorseThanIncumbentBy: 0.02, direction: 'max' },
  ],
} as const;
// Urgency is 89 % one code: accuracy says little, so the gate asks for balanced accuracy well above chance (0.25).
const URGENCY_GATE = { all: [{ metric: 'balanced_accuracy', op: 'gte', value: 0.5 }] } as const;

type Tracker = ReturnType<typeof createTracker>;

async function main(): Promise<void> {
  mkdirSync(join(HOME, 'data'), { recursive: true });
  mkdirSync(join(HOME, 'reports'), { recursive: true });
  const store = await createStore(`pglite://${join(HOME, 'db')}`);
  const objects = await openObjectStore(args.objects || process.env.MLOPS_OBJECTS || join(HOME, 'objects'));
  const tracker = createTracker({ store, objects });
  const registry = await createRegistry({ store });
  try {
    await run(store, objects, tracker, registry);
  } finally {
    await registry.close();
    await store.close();
  }
}

async function run(store: Store, objects: ObjectStore, tracker: Tracker, registry: Registry): Promise<void> {
  log('start', QUICK ? 'quick run on a stratified slice' : 'full run', { home: HOME, seed: SEED });

  // 1. Data: versioned, ingested and validated in the store; the data report; the urgency caveat stated plainly.
  const data = await prepareData({ store, objects, home: HOME, progress: Boolean(process.stdout.isTTY) });
  log('report', 'data-quality report written', {
    rows: data.quality.summary.rows,
    duplicateRows: data.quality.summary.duplicateRows,
    file: join(HOME, 'reports', 'data-quality.html'),
  });
  log(
    'report',
    'caveat: urgency codes are anonymised integers and equal ticket_type for most tickets; a model of urgency mostly learns ticket_type',
    data.urgencyByType,
  );

  // 2. Split: stratified 80/20 with a fixed seed (quick: a stratified slice first).
  const topics = data.topics;
  const allLabels = topics.map((r) => r.topic);
  const pool = QUICK ? stratifiedSample(allLabels, 4000, SEED) : allLabels.map((_, i) => i);
  const split = stratifiedSplit(
    pool.map((i) => allLabels[i]!),
    0.2,
    SEED,
  );
  const trainIdx = split.train.map((k) => pool[k]!);
  const testIdx = split.test.map((k) => pool[k]!);
  const textOf = (idx: number[]) => idx.map((i) => topics[i]!.text);
  const topicOf = (idx: number[]) => idx.map((i) => topics[i]!.topic);
  log('split', 'stratified split', { train: trainIdx.length, test: testIdx.length });

  // 3. Tune + train the topic model, tracked: a parent run, the study's run under it and a child run per trial (one
  //    value of C), validated on a held-out part of (a sample of) the training set; the study picks the best C, which
  //    is refitted on the whole training set.
  const tuneIdx = stratifiedSample(topicOf(trainIdx), TUNE_ROWS, SEED + 1).map((k) => trainIdx[k]!);
  const inner = stratifiedSplit(topicOf(tuneIdx), 0.2, SEED + 1);
  const fitIdx = inner.train.map((k) => tuneIdx[k]!);
  const valIdx = inner.test.map((k) => tuneIdx[k]!);
  const study = await tracker.startRun({
    experiment: TOPIC,
    name: `tuning ${new Date().toISOString()}`,
    params: { model: 'softmax', tfidf: JSON.stringify(TFIDF), space: JSON.stringify(C_SPACE), quick: QUICK },
  });
  await study.logDatasetVersion({ name: 'tickets-topics', version: data.versions['tickets-topics']!, role: 'train' });
  const { trials, best } = await tuneTopicC({
    store,
    tracker,
    parent: study,
    fit: { texts: textOf(fitIdx), labels: topicOf(fitIdx) },
    validation: { texts: textOf(valIdx), labels: topicOf(valIdx) },
    trials: TRIALS,
    seed: SEED,
    experiment: TOPIC,
  });
  const topicModel = await trainTextModel(textOf(trainIdx), topicOf(trainIdx), { C: best.C }, study);

  // 4. Evaluate on the untouched test split.
  const report = evaluateTextModel(topicModel, textOf(testIdx), topicOf(testIdx));
  await study.logMetrics({
    test_accuracy: report.accuracy,
    test_macro_f1: report.macro.f1,
    test_balanced_accuracy: report.balancedAccuracy,
  });
  log('evaluate', 'topic model on the test split', {
    accuracy: report.accuracy,
    macro_f1: report.macro.f1,
    balanced_accuracy: report.balancedAccuracy,
  });

  // 4b. Calibration, on held-out tickets never used for fitting: the test tickets that are not replayed as live
  //     traffic. The calibrator (and its expected calibration error) is stored in the model package's metadata, so
  //     the server, the policy and `mlops monitor` estimate accuracy from the logged probabilities before labels
  //     arrive.
  const liveRows = QUICK ? Math.floor(testIdx.length / 2) : Math.min(LIVE_ROWS, testIdx.length);
  const liveIdx = stratifiedSample(topicOf(testIdx), liveRows, SEED + 3).map((k) => testIdx[k]!);
  const liveSet = new Set(liveIdx);
  const calIdx = testIdx.filter((i) => !liveSet.has(i));
  const calibrate = (m: TextModel): Calibrator =>
    fitCalibrator(predictProbabilities(m, textOf(calIdx)), topicOf(calIdx), {
      classes: [...m.model.classes].map(String),
      seed: SEED,
    });
  const calibrator = calibrate(topicModel);
  log('calibrate', `topic model calibrated on ${calIdx.length} held-out tickets`, {
    method: calibrator.method,
    ece_before: calibrator.report.ece.before,
    ece_after: calibrator.report.ece.after,
  });

  // 5. Package (ONNX graph + fitted TF-IDF, parity-checked against the JS model) and register with the reference
  //    profile of its training data.
  for (const [name, description] of [
    [TOPIC, 'Topic of an IT support ticket (8 classes)'],
    [URGENCY, 'Urgency code of an IT support ticket (anonymised codes 0-3; see the caveat)'],
  ] as const) {
    try {
      await registry.createModel({ name, description });
    } catch (err) {
      if (!isMlopsError(err, 'CONFLICT')) throw err;
    }
  }
  const parityTexts = textOf(testIdx).slice(0, 2000);
  const registerText = async (o: {
    model: string;
    trained: TextModel;
    texts: readonly string[];
    rep: ClassificationReport;
    runId: string;
    dataset: string;
    tags: Record<string, string>;
    calibrator?: Calibrator;
  }) => {
    const metrics = { accuracy: o.rep.accuracy, macro_f1: o.rep.macro.f1, balanced_accuracy: o.rep.balancedAccuracy };
    const pkg = await packageTextModel({
      store,
      objects,
      trained: o.trained,
      metrics,
      lineage: { runId: o.runId, datasetVersions: [`${o.dataset}@${data.versions[o.dataset]}`] },
      parityTexts: o.model === TOPIC ? parityTexts : o.texts.slice(0, 1000),
      ...(o.calibrator ? { metadata: calibratorMetadata(o.calibrator) } : {}),
    });
    log('onnx', `${o.model}: exported to ONNX, parity with the JS model`, {
      rows: pkg.parity.rows,
      labelMismatches: pkg.parity.labelMismatches,
      maxAbsDiff: pkg.parity.maxAbsDiff.toExponential(2),
    });
    const { predictor } = await loadModelPackage({ objects, digest: pkg.digest, flavors: textModelFlavors() });
    const predicted = Array.from((await predictor.predict({ text: [...o.texts] })).label as ArrayLike<unknown>, String);
    await predictor.close?.();
    const profile = createProfile(
      { text: [...o.texts], label: predicted },
      { seed: SEED, sampleSize: QUICK ? 2000 : 5000, columnMapping: { text: ['text'], prediction: 'label' } },
    );
    const v = await registry.createVersion({
      model: o.model,
      packageDigest: pkg.digest,
      flavor: ONNX_FLAVOR_NAME,
      signature: pkg.signature,
      profile,
      metrics,
      sourceRunId: o.runId,
      tags: { quick: String(QUICK), onnx_max_abs_diff: pkg.parity.maxAbsDiff.toExponential(2), ...o.tags },
    });
    log('register', `registered ${o.model} v${v.version}`, { package: pkg.digest.slice(0, 19), ...o.tags });
    return { version: v, profile, parity: pkg.parity };
  };
  const first = await registerText({
    model: TOPIC,
    trained: topicModel,
    texts: textOf(trainIdx),
    rep: report,
    runId: study.id,
    dataset: 'tickets-topics',
    tags: { trigger: 'initial' },
    calibrator,
  });
  const { version, profile } = first;
  await promote(registry, TOPIC, version.version, TOPIC_GATE, 'example run: tuned softmax on TF-IDF');

  // 6. Urgency: the same kind of model on title + body, balanced class weights (code 0 has 14 tickets).
  const urgency = await trainUrgency(tracker, data, registerText);
  const urgencyPromoted = await promote(
    registry,
    URGENCY,
    urgency.version,
    URGENCY_GATE,
    'example run: softmax on TF-IDF, balanced class weights',
  );
  await study.end();

  let liveDrift: DriftReport | undefined;
  let shiftedDrift: DriftReport | undefined;
  let retrainStatus = 'not run';
  let retrainComparison: GateComparison | null = null;
  let rolledBackTo: number | undefined;
  let triageExample: unknown;
  const estimates: EstimateRow[] = [];

  // 7. Serve both production aliases over HTTP (the server follows the registry aliases), replay the test tickets as
  //    live traffic with ground-truth feedback, then an injected shift: a surge of one topic and new vocabulary.
  const served = [{ name: TOPIC, registry, alias: 'production', objects, flavors: textModelFlavors() }];
  if (urgencyPromoted) {
    served.push({ name: URGENCY, registry, alias: 'production', objects, flavors: textModelFlavors() });
  }
  const server = createModelServer({ models: served, store });
  // POST /tickets/triage: both models, knowledge-base articles and a drafted reply (an LLM when a key is configured,
  // else a template built from the articles), listed in /openapi.json like every route.
  const triage = urgencyPromoted
    ? createTriage({
        topicModel: { name: TOPIC, classes: registryClasses(registry, TOPIC) },
        urgencyModel: { name: URGENCY, classes: registryClasses(registry, URGENCY) },
      })
    : undefined;
  if (triage) server.route(triage.route);
  const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const { url } = listening;
  log('serve', `serving ${served.map((s) => `${s.name}@production`).join(', ')}`, { url });
  try {
    await waitFor(async () => (await fetch(`${url}/v2/health/ready`)).ok, 'the server to load production');
    const random = seededRandom(SEED + 7);
    // Live traffic: a stratified sample of the held-out tickets (not the calibration ones).
    const liveTexts = textOf(liveIdx);
    const live = await replay(url, TOPIC, liveTexts, topicOf(liveIdx));
    log('traffic', 'replayed held-out tickets with feedback', {
      requests: live.requests,
      predictions: live.n,
      accuracy: live.accuracy,
    });
    // Performance before labels arrive: the served probabilities, calibrated by the calibrator read back from the
    // registered package, estimate accuracy (CBPE); the feedback then gives the realized figure.
    const servedCalibrator = calibratorFromMetadata(
      (await readModelPackageManifest(objects, version.packageDigest)).metadata,
    );
    const estimateOf = (stream: string, r: { probabilities: number[][]; labels: string[]; accuracy: number }) => {
      const est: PerformanceEstimate = estimatePerformance({
        probabilities: r.probabilities,
        predictions: r.labels,
        classes: [...topicModel.model.classes].map(String),
        ...(servedCalibrator ? { calibrator: servedCalibrator } : {}),
      });
      const row: EstimateRow = {
        stream,
        n: est.n,
        estimated: est.accuracy.estimate,
        lower: est.accuracy.lower,
        upper: est.accuracy.upper,
        realized: r.accuracy,
      };
      estimates.push(row);
      log('estimate', `${stream}: accuracy estimated before labels vs realized after feedback`, {
        estimated: row.estimated,
        interval: `${row.lower.toFixed(3)}-${row.upper.toFixed(3)}`,
        realized: row.realized,
        gap: row.estimated - row.realized,
        calibrated: servedCalibrator ? servedCalibrator.method : 'no calibrator',
      });
    };
    estimateOf('replayed held-out tickets', live);
    if (triage) {
      // One triage as a help-desk form would send it, then the agent's feedback for both models by triage id.
      const t = await postJson<TriageResult>(`${url}/tickets/triage`, {
        title: 'laptop does not start',
        body: 'my laptop does not power on since this morning, the charger light is off. i need it for a meeting',
      });
      await postJson(`${url}/v1/feedback`, {
        requestId: t.triageId,
        labels: { [TOPIC]: 'Hardware', [URGENCY]: t.urgency.label },
      });
      triageExample = t;
      log('triage', `POST /tickets/triage → ${t.topic.label}, urgency ${t.urgency.label}`, {
        triageId: t.triageId,
        articles: t.articles.map((a) => a.id).join(','),
        reply: t.reply.source,
        ...(t.reply.reason ? { fallback: t.reply.reason } : {}),
      });
    }

    const surgeTopic = 'Hardware';
    const surge = liveIdx.filter((i) => topics[i]!.topic === surgeTopic);
    const others = shuffle(
      liveIdx.filter((i) => topics[i]!.topic !== surgeTopic),
      random,
    ).slice(0, Math.round(surge.length / 2));
    const newWords = ['teams', 'webcam', 'hybrid', 'onboarding', 'mfa', 'authenticator', 'hotdesk'];
    const shiftedIdx = shuffle([...surge, ...surge, ...others], random);
    const shiftedTexts = shiftedIdx.map((i) => {
      const extra = Array.from({ length: 3 }, () => newWords[Math.floor(random() * newWords.length)]!).join(' ');
      return random() < 0.6 ? `${topics[i]!.text} ${extra}` : topics[i]!.text;
    });
    const shiftedTopics = topicOf(shiftedIdx);
    const shifted = await replay(url, TOPIC, shiftedTexts, shiftedTopics);
    log('traffic', 'shifted traffic with feedback', {
      predictions: shifted.n,
      accuracy: shifted.accuracy,
      surge: surgeTopic,
    });
    // A surge of one topic is a label-prior shift: calibration fitted on the old mix no longer holds, so the estimate
    // is expected to be off; it is reported as measured.
    estimateOf(`shifted traffic (surge of ${surgeTopic})`, shifted);

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

    // 8. Continuous training: the policy reads the server's prediction log and feedback for the production version,
    //    finds the drift, alerts, retrains on the training data plus the newly labelled tickets, and promotes the
    //    new version through the same gate; the server hot-swaps to it.
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model: TOPIC,
      alias: 'production',
      triggers: { drift: true, performance: true },
      monitoring: { limit: shiftedTexts.length, minSamples: 30, features: ['text'], minimums: { accuracy: 0.6 } },
      drift: { columnMapping: { text: ['text'] } },
      gate: TOPIC_GATE,
      // The gate compares the candidate and the incumbent on the same tickets: half of the shifted traffic's tickets
      // are kept out of the retraining, and both versions, loaded from the registry through their flavor, are scored
      // on them (not the candidate's fresh figure against the incumbent's registered one).
      compare: { objects, flavors: textModelFlavors(), metrics: { accuracy: 'accuracy', macro_f1: 'macroF1' } },
      alerts: consoleAlertSink(),
      retrain: async () => {
        // Split the shifted traffic by ticket (a surging ticket appears twice: both copies fall on the same side).
        const heldTickets = new Set(
          shuffle([...new Set(shiftedIdx)], seededRandom(SEED + 11)).filter((_, k) => k % 2 === 0),
        );
        const rows = shiftedIdx.map((_, k) => k);
        const fit = rows.filter((k) => !heldTickets.has(shiftedIdx[k]!));
        const held = rows.filter((k) => heldTickets.has(shiftedIdx[k]!));
        const texts = [...textOf(trainIdx), ...fit.map((k) => shiftedTexts[k]!)];
        const labels = [...topicOf(trainIdx), ...fit.map((k) => shiftedTopics[k]!)];
        const retrainRun = await tracker.startRun({
          experiment: TOPIC,
          name: 'retrain (continuous training)',
          params: { C: best.C, rows: texts.length },
          tags: { trigger: 'drift' },
        });
        const trained = await trainTextModel(texts, labels, { C: best.C }, retrainRun);
        const rep = evaluateTextModel(trained, textOf(testIdx), topicOf(testIdx));
        await retrainRun.logMetrics({ test_accuracy: rep.accuracy, test_macro_f1: rep.macro.f1 });
        await retrainRun.end();
        const reg = await registerText({
          model: TOPIC,
          trained,
          texts,
          rep,
          runId: retrainRun.id,
          dataset: 'tickets-topics',
          tags: { trigger: 'retrain' },
          calibrator: calibrate(trained),
        });
        return {
          version: reg.version.version,
          holdout: {
            name: 'held-out half of the shifted traffic',
            inputs: { text: held.map((k) => shiftedTexts[k]!) },
            labels: held.map((k) => shiftedTopics[k]!),
            datasetVersion: `tickets-topics@${data.versions['tickets-topics']}`,
          },
        };
      },
    });
    const decision = await policy.runOnce({ reason: 'example: shifted traffic' });
    retrainStatus = decision.status;
    retrainComparison = decision.evaluation?.comparison ?? null;
    if (retrainComparison) {
      const c = retrainComparison;
      log('retrain', `gate compared both models on the ${c.data.rows} tickets of the ${c.data.name}`, {
        candidate: `v${c.candidate.version} macro-F1 ${c.candidate.metrics.macro_f1?.toFixed(3)}`,
        incumbent: `v${c.incumbent?.version} macro-F1 ${c.incumbent?.metrics.macro_f1?.toFixed(3)}`,
      });
    }
    log('retrain', `continuous training: ${decision.status}`, {
      reasons: decision.reasons.map((r) => r.trigger).join(','),
      incumbent: decision.incumbentVersion ?? 'none',
      candidate: decision.candidateVersion ?? 'none',
    });
    if (decision.status === 'promoted' && decision.candidateVersion !== null) {
      const v = decision.candidateVersion;
      await waitFor(
        async () => (await predictOnce(url, TOPIC)).version === String(v),
        `the server to hot-swap to v${v}`,
      );
      log('serve', `hot-swapped to v${v}`);
      // 9. Rollback: production goes back to the previous version, and the server follows.
      const rb = await registry.rollback({
        model: TOPIC,
        alias: 'production',
        reason: 'example: demonstrate rollback',
      });
      await waitFor(
        async () => (await predictOnce(url, TOPIC)).version === String(rb.alias.version),
        `the server to roll back to v${rb.alias.version}`,
      );
      rolledBackTo = rb.alias.version;
      log('rollback', `production → v${rb.alias.version}; the server follows`);
    }
  } finally {
    await listening.close(); // drains in-flight requests, flushes the prediction log, closes the listener
  }

  // 10. The HTML report.
  const file = join(HOME, 'reports', 'it-tickets.html');
  writeFileSync(
    file,
    renderReport({
      quick: QUICK,
      versions: data.versions,
      validation: {
        rows: data.topics.length,
        quarantined: Object.values(data.quarantined).reduce((a, b) => a + b, 0),
        ...data.steps,
      },
      topic: { model: TOPIC, version: version.version, C: best.C, report, trials, parity: first.parity },
      calibration: { rows: calIdx.length, method: calibrator.method, ece: calibrator.report.ece },
      estimates,
      urgency: {
        model: URGENCY,
        version: urgency.version,
        report: urgency.report,
        rareCodes: urgency.rareCodes,
        byType: data.urgencyByType,
        promoted: urgencyPromoted,
      },
      liveDrift: liveDrift!,
      shiftedDrift: shiftedDrift!,
      retrainStatus,
      retrainComparison,
      rolledBackTo,
      triageExample,
    }),
  );
  log('done', `report: ${file}`, { dataQuality: 'data-quality.html', drift: 'drift-shifted.html' });
  log('done', 'serve both production models with the triage endpoint', {
    command: `npm run serve -w @mlops/example-it-tickets -- --home ${HOME}`,
  });
}

/** Promotes `version` to production through `gate`; a refusal is logged, not thrown. Returns whether it passed. */
async function promote(
  registry: Registry,
  model: string,
  version: number,
  gate: Parameters<Registry['promote']>[0]['gate'],
  reason: string,
): Promise<boolean> {
  try {
    const res = await registry.promote({ model, version, alias: 'production', gate, reason });
    log('promote', `${model} v${version} → production`, { passed: res.decision.passed });
    return true;
  } catch (err) {
    if (!isMlopsError(err, 'GATE_FAILED')) throw err;
    log('promote', `${model} v${version} refused by the gate`, { reason: err.message });
    return false;
  }
}

/** Trains, evaluates and registers the urgency model (tracked as its own run). */
async function trainUrgency(
  tracker: Tracker,
  data: Awaited<ReturnType<typeof prepareData>>,
  register: (o: {
    model: string;
    trained: TextModel;
    texts: readonly string[];
    rep: ClassificationReport;
    runId: string;
    dataset: string;
    tags: Record<string, string>;
  }) => Promise<{ version: { version: number } }>,
): Promise<{
  version: number;
  report: ClassificationReport;
  rareCodes: { code: string; tickets: number; recall: number }[];
}> {
  const rows = data.urgency;
  const labels = rows.map((r) => r.urgency);
  const split = stratifiedSplit(labels, 0.2, SEED);
  const texts = (idx: number[]) => idx.map((i) => rows[i]!.text);
  const ys = (idx: number[]) => idx.map((i) => labels[i]!);
  const run = await tracker.startRun({
    experiment: URGENCY,
    name: `urgency ${new Date().toISOString()}`,
    params: { model: 'softmax', tfidf: JSON.stringify(TFIDF), C: 4, classWeight: 'balanced' },
  });
  await run.logDatasetVersion({ name: 'tickets-urgency', version: data.versions['tickets-urgency']!, role: 'train' });
  const trained = await trainTextModel(texts(split.train), ys(split.train), { C: 4, classWeight: 'balanced' }, run);
  const report = evaluateTextModel(trained, texts(split.test), ys(split.test));
  await run.logMetrics({
    test_accuracy: report.accuracy,
    test_macro_f1: report.macro.f1,
    test_balanced_accuracy: report.balancedAccuracy,
  });
  const counts = new Map<string, number>();
  for (const y of labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  const rareCodes = [...counts]
    .filter(([, n]) => n / labels.length < 0.1)
    .sort((a, b) => a[1] - b[1])
    .map(([code, tickets]) => ({
      code,
      tickets,
      recall: report.perClass.find((c) => String(c.label) === code)?.recall ?? 0,
    }));
  log('evaluate', 'urgency model on the test split', {
    accuracy: report.accuracy,
    balanced_accuracy: report.balancedAccuracy,
    macro_f1: report.macro.f1,
    ...Object.fromEntries(report.perClass.map((c) => [`recall_${String(c.label)}`, c.recall])),
  });
  const reg = await register({
    model: URGENCY,
    trained,
    texts: texts(split.train),
    rep: report,
    runId: run.id,
    dataset: 'tickets-urgency',
    tags: { trigger: 'initial', caveat: 'urgency codes are anonymised; mostly equal to ticket_type' },
  });
  await run.end();
  return { version: reg.version.version, report, rareCodes };
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  log('error', e.message, { code: e.code ?? 'UNKNOWN' });
  process.exitCode = 1;
});
