// Step 6: the decision threshold chosen on the validation runs, the untouched test runs scored at it, and the
// calibrator fitted on the validation runs.
import { type ClassificationReport, classificationReport, prAuc, rocAuc } from '@mlops/core/metrics';
import type { DenseMatrix, Frame } from '@mlops/core/preprocessing';
import type { Run } from '@mlops/core/tracking';
import type { SecomData } from '@mlops/datasets';
import { log } from '@mlops/example-kit';
import { type Calibrator, fitCalibrator } from '@mlops/monitoring';
import type { RandomForestModel } from '@mlops/plugin-random-forest';
import { FAIL } from '../context.js';
import { frameOf } from '../frames.js';
import { failScores, type OperatingPoint, operatingPoints, prefix, thresholdForRecall } from '../metrics.js';
import type { CalibrationSummary } from '../types.js';
import { failsIn, labelName, labelsOf, rowsOf, type TimeSplit } from './data.js';
import type { Prepared } from './preprocess.js';

/** The model's figures on the test runs at the decision threshold (registered with the version and gated). */
export type TestMetrics = {
  pr_auc: number;
  roc_auc: number;
  fail_recall: number;
  fail_precision: number;
  fail_f1: number;
  balanced_accuracy: number;
  threshold: number;
};

/** What the evaluation gave: the threshold, the test runs and the model's figures on them. */
export interface Evaluation {
  threshold: number;
  /** The validation operating point the threshold was chosen at. */
  chosen: OperatingPoint;
  testFrame: Frame;
  testPoints: OperatingPoint[];
  report: ClassificationReport;
  metrics: TestMetrics;
}

/**
 * Threshold chosen on the validation runs for the target fail recall (the highest that reaches it), then the
 * untouched test runs scored at it; the figures go to the study run.
 */
export async function evaluateOnTest(
  forest: RandomForestModel,
  prepared: Prepared,
  data: SecomData,
  split: TimeSplit,
  options: { study: Run; targetRecall: number },
): Promise<Evaluation> {
  const { yVal, valX, fitted } = prepared;
  const { targetRecall } = options;
  const valPoints = operatingPoints(
    yVal.map((y) => y === FAIL),
    failScores(forest, forest.predictProba(valX)),
  );
  const chosen = thresholdForRecall(valPoints, targetRecall);
  const threshold = chosen.threshold;
  const testFrame = frameOf(data.featureNames, rowsOf(data, split.test));
  const testX: DenseMatrix = fitted.transform(testFrame);
  const yTest = labelsOf(data, split.test);
  const testScore = failScores(forest, forest.predictProba(testX));
  const testPoints = operatingPoints(
    yTest.map((y) => y === FAIL),
    testScore,
  );
  const report = classificationReport(
    yTest.map(labelName),
    Array.from(testScore, (s) => (s >= threshold ? 'fail' : 'pass')),
    { labels: ['pass', 'fail'] },
  );
  const failClass = report.perClass.find((c) => c.label === 'fail')!;
  const metrics: TestMetrics = {
    pr_auc: prAuc(yTest, testScore, { posLabel: FAIL }),
    roc_auc: rocAuc(yTest, testScore, { posLabel: FAIL }),
    fail_recall: failClass.recall,
    fail_precision: failClass.precision,
    fail_f1: failClass.f1,
    balanced_accuracy: report.balancedAccuracy,
    threshold,
  };
  await options.study.logMetrics({ ...prefix('test_', metrics), val_recall_at_threshold: chosen.recall });
  log(
    'evaluate',
    `test runs at threshold ${threshold.toFixed(3)} (chosen on validation for fail recall ≥ ${targetRecall})`,
    {
      ...metrics,
      base_rate: failsIn(data, split.test) / split.test.length,
      confusion: JSON.stringify(report.confusionMatrix.matrix),
    },
  );
  return { threshold, chosen, testFrame, testPoints, report, metrics };
}

/**
 * Step 6b, calibration on the validation runs (never used for fitting; only to pick the trial and the threshold): the
 * calibrator goes into both packages' metadata, where the server, the policy and `mlops monitor` read it to estimate
 * accuracy from the logged probabilities before labels arrive.
 */
export function calibrate(
  forest: RandomForestModel,
  prepared: Prepared,
  seed: number,
): { calibrator: Calibrator; calibration: CalibrationSummary; classes: (string | number)[] } {
  const { yVal, valX } = prepared;
  const classes = [...(forest.classes as readonly (string | number)[])];
  const calibrator = fitCalibrator(forest.predictProba(valX), yVal, { classes, seed });
  const calibration = { rows: yVal.length, method: calibrator.method, ece: calibrator.report.ece };
  log('calibrate', `calibrated on the ${yVal.length} validation runs`, {
    method: calibrator.method,
    ece_before: calibrator.report.ece.before,
    ece_after: calibrator.report.ece.after,
  });
  return { calibrator, calibration, classes };
}
