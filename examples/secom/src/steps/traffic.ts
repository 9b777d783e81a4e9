// Steps 10–14: production served over HTTP (the server follows the registry alias), the test runs replayed in time
// order as live traffic in six windows with feedback, sensor drift injected from window 4 on, continuous training
// checking the prediction log after windows 3 and 6, and the hot-swap and rollback when it promoted a candidate.
import { type Alert, type AlertSink, createAlert, readModelPackageManifest } from '@mlops/core';
import type { Frame } from '@mlops/core/preprocessing';
import { type DriftReport, detectDrift } from '@mlops/drift';
import { log, logAlertSink } from '@mlops/example-kit';
import { type Calibrator, calibratorFromMetadata } from '@mlops/monitoring';
import { type ContinuousTrainingPolicy, createContinuousTrainingPolicy } from '@mlops/pipelines';
import { onnxFlavor } from '@mlops/plugin-onnx';
import type { RandomForestModel } from '@mlops/plugin-random-forest';
import type { ModelVersion } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { MODEL, type SecomContext } from '../context.js';
import { frameOf, pick } from '../frames.js';
import { replayRuns, servedVersion, waitFor } from '../live.js';
import { topSensors } from '../metrics.js';
import type { PolicyCheck, ReplayedWindow, RetrainSummary, WindowResult } from '../types.js';
import { dayOf, labelsOf, rowsOf, type TimeSplit } from './data.js';
import {
  col,
  driftOfStreams,
  estimateAccuracy,
  gateFigures,
  injectDrift,
  waitForLabelled,
  windowMetrics,
} from './monitor.js';
import type { promotionGate, Registered } from './register.js';
import { type RetrainBasis, retrainCandidate } from './retrain.js';

/** Sensors continuous training watches: the forest's most important ones. */
const MONITORED = 10;
/** The test runs are replayed in this many time-ordered windows… */
const N_WINDOWS = 6;
/** …and sensor drift is injected from this window (0-based) on. */
const INJECT_FROM = 3;

/** What the replay needs from the earlier steps. */
export interface TrafficInput extends Omit<RetrainBasis, 'incumbentMetrics'> {
  split: TimeSplit;
  forest: RandomForestModel;
  /** The forest's classes (where P(fail) is). */
  classes: (string | number)[];
  registered: Registered;
  /** The inputs of the registered graph. */
  inputNames: string[];
  gate: ReturnType<typeof promotionGate>;
}

/**
 * The production version the replay sends runs to and scores them at: the first one, or the candidate continuous
 * training promoted between two windows.
 */
interface Served {
  at: ModelVersion;
  version: string;
  threshold: number;
  calibrator: Calibrator | undefined;
  /** The sensors every run is sent with: after a promotion, those both versions take (every input is optional). */
  inputs: string[];
}

/** What happened while production was served. */
export interface TrafficOutcome {
  windows: WindowResult[];
  replayed: ReplayedWindow[];
  checks: PolicyCheck[];
  retrain: RetrainSummary | null;
  alerts: Alert[];
  /** Drift of the clean and of the injected windows (undefined when nothing was served). */
  live?: DriftReport;
  shifted?: DriftReport;
  rollbackNote: string;
  /** The calibrator as the server and the policy see it: read back from the production package's metadata. */
  servedCalibrator?: Calibrator;
  /** The sensors continuous training watches. */
  monitored: string[];
  /** The sensors the drift is injected into: the forest's two most important ones. */
  injected: { shifted: string; stuck: string };
}

/**
 * Serves production and replays the test runs as traffic: from window 4 on, two of the sensors the forest relies on
 * most go wrong (one reads 3 training standard deviations high, one is frozen at its training median). Without a
 * production version (the gate refused the first model) nothing is served.
 */
export async function serveAndReplay(ctx: SecomContext, input: TrafficInput): Promise<TrafficOutcome> {
  const { store, registry, objects } = ctx;
  const monitored = topSensors(input.forest, MONITORED);
  const [shifted, stuck] = monitored as [string, string];
  const testIdx = input.split.test;
  const parts = Array.from({ length: N_WINDOWS }, (_, w) =>
    testIdx.slice(Math.floor((w * testIdx.length) / N_WINDOWS), Math.floor(((w + 1) * testIdx.length) / N_WINDOWS)),
  );
  const out: TrafficOutcome = {
    windows: [],
    replayed: [],
    checks: [],
    retrain: null,
    alerts: [],
    rollbackNote: 'no rollback: continuous training promoted nothing',
    monitored,
    injected: { shifted, stuck },
  };
  const alertSink = reportingAlertSink(out.alerts);
  const prod = await registry.resolve({ model: MODEL, alias: 'production' }).catch(() => null);
  if (!prod) {
    log('serve', 'no production version (the gate refused the first model): nothing to serve or monitor');
    return out;
  }
  const server = createModelServer({
    models: [{ name: MODEL, registry, alias: 'production', objects, flavors: [onnxFlavor({ intraOpNumThreads: 1 })] }],
    store,
  });
  const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const { url } = listening;
  try {
    await waitFor(async () => (await fetch(`${url}/v2/health/ready`)).ok, 'the server to load production');
    log('serve', `serving ${MODEL}@production v${prod.version} over HTTP (${ctx.features})`, {
      url,
      infer: `POST ${url}/v2/models/${MODEL}/infer`,
      feedback: `POST ${url}/v1/feedback`,
    });
    const windowSize = Math.ceil(testIdx.length / N_WINDOWS);
    out.servedCalibrator = calibratorFromMetadata(
      (await readModelPackageManifest(objects, prod.packageDigest)).metadata,
    );
    let served: Served = {
      at: prod,
      version: String(prod.version),
      threshold: input.threshold,
      calibrator: out.servedCalibrator,
      inputs: input.inputNames,
    };
    let candidateInputs: string[] = [];
    // Continuous training watches the sensors the forest relies on most: 2 of them drifting (KS test on the last two
    // windows of the prediction log against the version's training profile) triggers a retraining.
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model: MODEL,
      alias: 'production',
      triggers: { drift: true },
      monitoring: { limit: 2 * windowSize, minSamples: 30, features: monitored, driftShare: 0.2 },
      gate: input.gate,
      // The gate compares the candidate and the incumbent on the same runs: both versions loaded from the registry
      // through their flavor and scored on the held-out runs the retraining returns.
      compare: { objects, flavors: [onnxFlavor({ intraOpNumThreads: 1 })], metrics: gateFigures },
      alerts: alertSink,
      retrain: async (p) => {
        const r = await retrainCandidate(
          ctx,
          { ...input, threshold: served.threshold, incumbentMetrics: served.at.metrics },
          out.replayed,
          parts,
          p.reasons.map((x) => x.trigger).join(','),
          p.evaluation.drift?.driftedColumns ?? [],
        );
        out.retrain = r.summary;
        candidateInputs = r.inputs;
        return { version: r.summary.version, holdout: r.holdout };
      },
    });

    for (let w = 0; w < N_WINDOWS; w++) {
      await replayWindow(ctx, url, served, input, out, parts[w]!, w);
      if (w !== INJECT_FROM - 1 && w !== N_WINDOWS - 1) continue;
      await checkPolicy(policy, w, out, alertSink, served.at, windowSize);
      // A candidate promoted before the last window serves the next ones (the server follows the alias).
      if (out.retrain?.status === 'promoted' && w < N_WINDOWS - 1)
        served = await promoted(ctx, served, candidateInputs);
    }
    Object.assign(
      out,
      driftOfStreams(
        input.registered.profile,
        out.replayed,
        input.data.featureNames,
        input.prepared.kept,
        out.injected,
      ),
    );
    const note = await hotSwapAndRollback(ctx, url, out, served.version, served.inputs, candidateInputs);
    if (note) out.rollbackNote = note;
  } finally {
    await listening.close(); // drains in-flight requests, flushes the prediction log
  }
  return out;
}

/** The version production now points to, sent the sensors both it and the previous version take. */
async function promoted(ctx: SecomContext, before: Served, candidateInputs: readonly string[]): Promise<Served> {
  const now = await ctx.registry.resolve({ model: MODEL, alias: 'production' });
  const threshold = Number(now.tags.threshold);
  return {
    at: now,
    version: String(now.version),
    threshold: Number.isFinite(threshold) ? threshold : before.threshold,
    calibrator: calibratorFromMetadata((await readModelPackageManifest(ctx.objects, now.packageDigest)).metadata),
    inputs: before.inputs.filter((n) => candidateInputs.includes(n)),
  };
}

/** The sink the policy and the sensor checks send to: the console, and a list kept for the report. */
function reportingAlertSink(alerts: Alert[]): AlertSink {
  return {
    name: 'console+report',
    async send(alert) {
      alerts.push(alert);
      await logAlertSink.send(alert);
    },
  };
}

/**
 * Window `w`: its runs (drift injected from {@link INJECT_FROM} on) sent to the server with their feedback, its
 * accuracy estimated before labels and measured from the prediction log after, its drift against the profile.
 */
async function replayWindow(
  ctx: SecomContext,
  url: string,
  served: Served,
  input: TrafficInput,
  out: TrafficOutcome,
  part: number[],
  w: number,
): Promise<void> {
  const { data, prepared } = input;
  const { threshold } = served;
  const { monitored } = out;
  const injected = w >= INJECT_FROM;
  const clean = frameOf(data.featureNames, rowsOf(data, part));
  const frame = injected ? injectDrift(clean, prepared.trainFrame, out.injected.shifted, out.injected.stuck) : clean;
  const y = labelsOf(data, part);
  const res = await replayRuns(url, MODEL, frame, served.inputs, y);
  // Before labels arrive: the window's accuracy at the decision threshold, estimated from the served fail
  // probabilities alone with the calibrator stored in the served package.
  const est = estimateAccuracy(res.scores, threshold, input.classes, served.calibrator);
  // Metrics from the feedback: the window's predictions as the server logged them, joined with their labels.
  const labelled = await waitForLabelled(ctx.store, res.versions, res.ids);
  const fromFeedback = windowMetrics(labelled, threshold);
  const drift = detectDrift(input.registered.profile, { ...pick(frame, prepared.kept), fail_score: res.scores });
  const monitoredDrifted = monitored.filter((s) => col(drift, s)?.drifted);
  const result: WindowResult = {
    from: dayOf(data, part[0]!),
    to: dayOf(data, part.at(-1)!),
    runs: part.length,
    injected,
    versions: res.versions.join(','),
    ...fromFeedback,
    estimatedAccuracy: est.estimate,
    estimatedLower: est.lower,
    estimatedUpper: est.upper,
    driftedShare: drift.dataset.share,
    monitoredDrifted: monitoredDrifted.length,
  };
  out.windows.push(result);
  out.replayed.push({ frame, y, scores: res.scores, injected });
  log(
    'traffic',
    `window ${w + 1}/${N_WINDOWS} ${result.from}..${result.to}${injected ? ' (sensor drift injected)' : ''}`,
    {
      runs: part.length,
      requests: res.requests,
      feedback: res.feedback,
      fails: result.fails,
      flagged: result.flagged,
      caught: result.caught,
      estimated_accuracy: est.estimate,
      accuracy: result.accuracy,
      drifted_sensors: `${drift.dataset.driftedColumns}/${drift.dataset.columns}`,
      monitored_drifted: `${monitoredDrifted.length}/${monitored.length}`,
    },
  );
}

/**
 * The policy reads the prediction log and the feedback of the last two windows and decides; one alert per drifted
 * sensor goes out, naming what was injected, and a retraining's summary gets the gate's verdict.
 */
async function checkPolicy(
  policy: ContinuousTrainingPolicy,
  w: number,
  out: TrafficOutcome,
  alertSink: AlertSink,
  prod: ModelVersion,
  windowSize: number,
): Promise<void> {
  const decision = await policy.runOnce({
    reason: w === N_WINDOWS - 1 ? 'example: after the injected windows' : 'example: after the clean windows',
  });
  const driftedCols = decision.evaluation?.drift?.driftedColumns ?? [];
  out.checks.push({
    afterWindow: w + 1,
    status: decision.status,
    reasons: decision.reasons.map((r) => r.message),
    driftedSensors: driftedCols,
  });
  log('retrain', `continuous training after window ${w + 1}: ${decision.status}`, {
    monitored_drifted: driftedCols.join(',') || 'none',
    incumbent: decision.incumbentVersion ?? 'none',
    candidate: decision.candidateVersion ?? 'none',
  });
  const { shifted, stuck } = out.injected;
  for (const sensor of driftedCols) {
    await alertSink.send(
      createAlert({
        severity: 'warning',
        title: `Sensor drift on ${sensor} (${MODEL} v${prod.version})`,
        message: `${sensor} drifted in the last ${2 * windowSize} runs of the prediction log (continuous-training drift check against the training profile): ${sensor === shifted ? 'it reads high (injected shift)' : sensor === stuck ? 'it is stuck (injected)' : 'natural drift'}. Check the tool, then retrain.`,
        labels: { model: MODEL, version: String(prod.version), sensor },
        dedupeKey: `secom-sensor-drift-${sensor}`,
      }),
    );
  }
  const r = out.retrain;
  if (r === null || decision.candidateVersion !== r.version) return;
  r.status = decision.status;
  r.registeredIncumbentPrAuc = prod.metrics?.pr_auc ?? Number.NaN;
  const c = decision.evaluation?.comparison ?? null;
  if (c) r.comparison = c;
  // What the gate compared: both models' figures on the same runs (the registered ones are not compared).
  const on = c
    ? `on ${c.data.name} (${c.data.from?.slice(0, 10)}..${c.data.to?.slice(0, 10)}, dataset ${c.data.datasetVersion}): candidate PR-AUC ${fmt(c.candidate.metrics.pr_auc)}, incumbent v${c.incumbent?.version} PR-AUC ${fmt(c.incumbent?.metrics.pr_auc)} on the same runs; the incumbent's registered ${r.registeredIncumbentPrAuc.toFixed(3)} is not compared`
    : 'no comparison on the same data';
  r.reason =
    decision.status === 'promoted'
      ? `passed the gate ${on}`
      : `${decision.status === 'rejected' ? 'refused by the gate' : decision.status}: ${decision.error ?? decision.reasons.map((x) => x.message).join('; ')} — ${on}`;
  log('retrain', `gate ${decision.status} ${on}`);
}

const fmt = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(3));

/**
 * Hot-swap and rollback: when the retrained version was promoted, the server follows the alias to it; then
 * production is rolled back to the previous version and the server follows again. Returns the report's note.
 */
async function hotSwapAndRollback(
  ctx: SecomContext,
  url: string,
  out: TrafficOutcome,
  productionVersion: string,
  inputNames: readonly string[],
  candidateInputs: readonly string[],
): Promise<string | undefined> {
  const summary = out.retrain;
  if (summary === null) return undefined;
  if (summary.status !== 'promoted') {
    const note = `no rollback needed: candidate v${summary.version} was ${summary.status}, production stayed on v${productionVersion}`;
    log('rollback', note);
    return note;
  }
  // Every input is optional: a run with the sensors both versions take is valid for either.
  const both = inputNames.filter((n) => candidateInputs.includes(n));
  const probe: Frame = out.replayed[0]!.frame;
  await waitFor(
    async () => (await servedVersion(url, MODEL, probe, both)) === String(summary.version),
    `the server to hot-swap to v${summary.version}`,
  );
  log('serve', `hot-swapped to v${summary.version}`);
  const rb = await ctx.registry.rollback({
    model: MODEL,
    alias: 'production',
    reason: 'example: demonstrate rollback',
  });
  await waitFor(
    async () => (await servedVersion(url, MODEL, probe, both)) === String(rb.alias.version),
    `the server to roll back to v${rb.alias.version}`,
  );
  const note = `production rolled back from v${summary.version} to v${rb.alias.version}; the server followed (hot-swap)`;
  summary.rolledBackTo = rb.alias.version;
  log('rollback', note);
  return note;
}
