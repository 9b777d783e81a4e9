// SECOM semiconductor defect prediction, end to end, on the embedded store: data (real or simulated) → versioned →
// data report → time-ordered split → preprocessing fitted on train only → tracked random forests (baseline + study)
// → evaluation with a decision threshold for a target fail recall → ONNX export with parity → registry with a gated
// promotion → the later runs replayed as traffic → injected sensor drift detected per sensor → rollback → HTML report.
// Each step is a module of ./steps (see "How the code is laid out" in README.md); runSecom lists them in order.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderDriftReportHtml } from '@mlops/drift';
import { log } from '@mlops/example-kit';
import { withBanner } from './banner.js';
import { closeContext, MODEL, openContext } from './context.js';
import { renderReport } from './report.js';
import {
  loadSecomData,
  reportDataQuality,
  type SecomDataOptions,
  splitByTime,
  versionSecomTable,
} from './steps/data.js';
import { calibrate, evaluateOnTest } from './steps/evaluate.js';
import { estimatesOfStreams } from './steps/monitor.js';
import { packageModels } from './steps/package.js';
import { preprocess } from './steps/preprocess.js';
import { promoteToProduction, promotionGate, registerVersion } from './steps/register.js';
import { serveAndReplay } from './steps/traffic.js';
import { trainForests } from './steps/train.js';
import type { CalibrationSummary, EstimateRow, PolicyCheck, WindowResult } from './types.js';

export { loadSecomData } from './steps/data.js';
export type { EstimateRow, PolicyCheck, WindowResult } from './types.js';

/** Options of {@link runSecom}. */
export interface SecomOptions {
  /** Fewer and smaller forests (CI). @default false */
  quick?: boolean;
  /** Use simulated sensor readings around the real labels when the real feature file is missing. @default false */
  simulate?: boolean;
  /** Where the store, objects, data copies and reports go. @default '.mlops' */
  home?: string;
  /**
   * The object store of datasets and model packages: a folder or `s3://bucket/prefix?endpoint=…` (@mlops/plugin-s3).
   * @default MLOPS_OBJECTS, else `<home>/objects`
   */
  objects?: string;
  /** Seed of the simulator, the forests and the split-independent draws. @default 42 */
  seed?: number;
  /** Fail recall the decision threshold is chosen for (on the validation runs). @default 0.5 */
  targetRecall?: number;
  /** Worker threads per forest. @default 2 */
  workers?: number;
  /**
   * Trees of the baseline forest; the study's forests scale with it (tests use a few: they check the lifecycle, not
   * the accuracy). @default 40 with `quick`, else 100
   */
  trees?: number;
  /**
   * Where the loader looks for (or downloads) SECOM: datasets folder, cache, mirror, offline. The environment
   * variables of @mlops/datasets (`MLOPS_DATASETS_DIR`, `MLOPS_CACHE_DIR`, `MLOPS_DATASETS_BASE_URL`,
   * `MLOPS_OFFLINE`) apply when these are left out.
   * @default {}
   */
  data?: SecomDataOptions;
}

/** What a run produced: the report file, the registered version and what happened while it was served. */
export interface SecomResult {
  report: string;
  model: string;
  version: number;
  simulated: boolean;
  promoted: boolean;
  metrics: Record<string, number>;
  /** The trial the study picked (`trial <number>`), whose forest was registered. */
  bestTrial: string;
  /** The replayed windows, metrics from the feedback in the store. */
  windows: WindowResult[];
  /** Accuracy estimated before labels (from the served probabilities) vs realized after feedback, per stream. */
  estimates: EstimateRow[];
  /** The calibrator fitted on the validation runs and stored in the package metadata. */
  calibration: CalibrationSummary;
  /** Decisions of continuous training (after the clean windows, after the injected ones). */
  checks: PolicyCheck[];
  /** The retrained candidate, what the gate said, and where production was rolled back to. */
  retrain: { version: number; status: string; rolledBackTo: number | null } | null;
  /** Titles of the alerts sent. */
  alerts: string[];
  /** The sensors the drift was injected into. */
  injected: { shifted: string; stuck: string };
}

/** Runs the whole SECOM lifecycle and writes the HTML report; throws the loader's error when data is missing. */
export async function runSecom(options: SecomOptions = {}): Promise<SecomResult> {
  const quick = options.quick ?? false;
  const seed = options.seed ?? 42;
  const home = resolve(options.home ?? '.mlops');
  const targetRecall = options.targetRecall ?? 0.5;
  const workers = options.workers ?? 2;

  log('start', quick ? 'quick run (fewer, smaller forests)' : 'full run', { home, seed });
  // 1. Data first: without the feature file (and without --simulate) the loader's message ends the run.
  const data = await loadSecomData({ simulate: options.simulate ?? false, seed, data: options.data ?? {} });
  const simulated = data.simulated;
  const objects = options.objects ?? (process.env.MLOPS_OBJECTS || undefined);
  const ctx = await openContext({ home, objects, seed, quick, simulated });
  try {
    // 1b. The exact table the run uses, versioned in the store.
    const dataset = await versionSecomTable(ctx, data);
    // 2. Data-quality report.
    const quality = reportDataQuality(ctx, data);
    // 3. Time-ordered split: 50 % train, 20 % validation, 30 % test.
    const split = splitByTime(data);
    // 4. Preprocessing fitted on the training runs only.
    const prepared = preprocess(data, split);
    // 5. Baseline forest and a small study, tracked.
    const { study, trials, best } = await trainForests(ctx, prepared, dataset, {
      workers,
      targetRecall,
      ...(options.trees !== undefined ? { trees: options.trees } : {}),
    });
    const forest = best.model;
    // 6. Threshold on the validation runs, figures on the test runs; calibration on the validation runs.
    const evaluation = await evaluateOnTest(forest, prepared, data, split, { study, targetRecall });
    const { metrics, threshold } = evaluation;
    const { calibrator, calibration, classes } = calibrate(forest, prepared, seed);
    // 7. The native and the ONNX packages, checked against each other.
    const packages = await packageModels(ctx, {
      forest,
      fitted: prepared.fitted,
      data,
      metrics,
      calibrator,
      study,
      dataset,
      testFrame: evaluation.testFrame,
    });
    // 8. Registered with the drift profile of its training runs.
    const registered = await registerVersion(ctx, { forest, prepared, packages, metrics, study, dataset });
    const version = registered.version.version;
    // 9. Gated promotion to production.
    const gate = promotionGate(quality.failShare);
    const promoted = await promoteToProduction(
      ctx,
      version,
      gate,
      `example run: ${best.name} forest${simulated ? ' (simulated features)' : ''}`,
    );
    // 10–14. Served over HTTP, the test runs replayed with feedback and injected drift, continuous training, rollback.
    const traffic = await serveAndReplay(ctx, {
      data,
      split,
      prepared,
      forest,
      best,
      classes,
      dataset,
      targetRecall,
      threshold,
      registered,
      inputNames: packages.inputNames,
      gate,
    });
    if (traffic.shifted) {
      const driftFile = join(home, 'reports', 'secom-drift-injected.html');
      writeFileSync(driftFile, withBanner(renderDriftReportHtml(traffic.shifted), simulated));
    }
    await study.end();
    // Accuracy estimated before labels vs realized after feedback, over the clean and the injected windows.
    const estimates = estimatesOfStreams(
      traffic.replayed,
      traffic.windows,
      threshold,
      classes,
      traffic.servedCalibrator,
    );

    // 15. The HTML report.
    const file = join(home, 'reports', 'secom.html');
    writeFileSync(
      file,
      renderReport({
        simulated,
        quick,
        version,
        datasetVersion: `${dataset.name}@${dataset.version.slice(0, 12)}`,
        trials,
        best: best.name,
        metrics,
        report: evaluation.report,
        testPoints: evaluation.testPoints,
        chosen: evaluation.chosen,
        targetRecall,
        parity: packages.parity,
        promoted,
        windows: traffic.windows,
        estimates,
        calibration,
        live: traffic.live,
        shifted: traffic.shifted,
        injected: traffic.injected,
        monitored: traffic.monitored,
        checks: traffic.checks,
        retrain: traffic.retrain,
        alerts: traffic.alerts,
        rollbackNote: traffic.rollbackNote,
        quality,
      }),
    );
    log('done', `report: ${file}${simulated ? ' (SIMULATED features)' : ''}`, {
      dataQuality: 'secom-data-quality.html',
      drift: 'secom-drift-injected.html',
    });
    const r = traffic.retrain;
    return {
      report: file,
      model: MODEL,
      version,
      simulated,
      promoted,
      metrics,
      bestTrial: best.name,
      windows: traffic.windows.map((w) => ({ ...w })),
      estimates,
      calibration,
      checks: traffic.checks,
      retrain: r === null ? null : { version: r.version, status: r.status, rolledBackTo: r.rolledBackTo ?? null },
      alerts: traffic.alerts.map((a) => a.title),
      injected: traffic.injected,
    };
  } finally {
    await closeContext(ctx);
  }
}
