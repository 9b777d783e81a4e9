// Monitoring helpers of the replay: metrics of a window from the feedback in the store, accuracy estimated before
// labels, drift per sensor (and the drift the run injects), the gate's figures on the comparison's runs.
import type { Store } from '@mlops/core';
import { type LabelledPrediction, readLabelledWindow } from '@mlops/core/predictions';
import type { Frame } from '@mlops/core/preprocessing';
import { type ColumnDrift, type DriftReport, detectDrift } from '@mlops/drift';
import { log } from '@mlops/example-kit';
import { type Calibrator, estimatePerformance } from '@mlops/monitoring';
import type { ComparisonMetricsContext } from '@mlops/pipelines';
import { FAIL, MODEL } from '../context.js';
import { concatFrames, median, pick, std } from '../frames.js';
import { waitFor } from '../live.js';
import { holdoutMetrics } from '../metrics.js';
import type { EstimateRow, ReplayedWindow, WindowResult } from '../types.js';

/** A copy of `frame` with `shifted` moved by 3 training standard deviations and `stuck` frozen at its median. */
export function injectDrift(frame: Frame, train: Frame, shifted: string, stuck: string): Frame {
  const trainShifted = Array.from(train[shifted] as ArrayLike<number>);
  const delta = 3 * std(trainShifted);
  const stuckAt = median(Array.from(train[stuck] as ArrayLike<number>));
  return {
    ...frame,
    [shifted]: Array.from(frame[shifted] as ArrayLike<number>, (v) => (Number.isNaN(v) ? v : v + delta)),
    [stuck]: Array.from(frame[stuck] as ArrayLike<number>, () => stuckAt),
  };
}

/**
 * Accuracy at `threshold` estimated from fail probabilities alone (CBPE, `estimatePerformance`), the probabilities
 * calibrated by `calibrator` when given; the predictions are the thresholded ones the example acts on.
 */
export function estimateAccuracy(
  scores: readonly number[],
  threshold: number,
  classes: readonly (string | number)[],
  calibrator: Calibrator | undefined,
): { n: number; estimate: number; lower: number; upper: number } {
  const j = classes.indexOf(FAIL);
  const pass = classes.find((c) => c !== FAIL)!;
  const est = estimatePerformance({
    probabilities: scores.map((sc) => classes.map((_, k) => (k === j ? sc : 1 - sc))),
    predictions: scores.map((sc) => (sc >= threshold ? FAIL : pass)),
    classes,
    ...(calibrator ? { calibrator } : {}),
    draws: 200,
  });
  return { n: est.n, estimate: est.accuracy.estimate, lower: est.accuracy.lower, upper: est.accuracy.upper };
}

/** Fail recall, precision and accuracy of logged predictions against their feedback labels. */
export function windowMetrics(
  labelled: readonly LabelledPrediction[],
  threshold: number,
): Pick<WindowResult, 'labelled' | 'fails' | 'flagged' | 'caught' | 'recall' | 'precision' | 'accuracy'> {
  let fails = 0;
  let flagged = 0;
  let caught = 0;
  let correct = 0;
  for (const l of labelled) {
    const p = Number((l.prediction.outputs?.probabilities as number[] | undefined)?.[1]);
    const fail = Number(l.label) === FAIL;
    const flag = p >= threshold;
    if (fail) fails++;
    if (flag) flagged++;
    if (fail && flag) caught++;
    if (fail === flag) correct++;
  }
  return {
    labelled: labelled.length,
    fails,
    flagged,
    caught,
    recall: fails === 0 ? null : caught / fails,
    precision: flagged === 0 ? null : caught / flagged,
    accuracy: labelled.length === 0 ? 0 : correct / labelled.length,
  };
}

/**
 * Waits until the server's prediction log (flushed in the background) holds every prediction of `ids` with its
 * feedback, and returns them; `versions` are the versions that answered (two while the server swaps).
 */
export async function waitForLabelled(
  store: Store,
  versions: readonly string[],
  ids: readonly string[],
): Promise<LabelledPrediction[]> {
  const wanted = new Set(ids);
  let rows: LabelledPrediction[] = [];
  await waitFor(
    async () => {
      const newest: LabelledPrediction[] = [];
      for (const version of versions) {
        newest.push(...(await readLabelledWindow({ store, model: MODEL, version, limit: ids.length, order: 'desc' })));
      }
      rows = newest.filter((r) => wanted.has(r.prediction.id));
      return rows.length === wanted.size;
    },
    `${ids.length} labelled predictions in the log`,
    30_000,
  );
  return rows;
}

/**
 * The gate's figures for one model on the comparison's runs: P(fail) from its served (ONNX) graph, and its recall and
 * precision at the decision threshold it was registered with.
 */
export function gateFigures({ outputs, labels, version }: ComparisonMetricsContext): Record<string, number> {
  const probs = outputs.probabilities as ArrayLike<ArrayLike<number>>;
  const score = Array.from(probs, (row) => Number(row[1]));
  const threshold = Number(version.tags.threshold);
  return holdoutMetrics(labels.map(Number), score, Number.isFinite(threshold) ? threshold : 0.5);
}

/** The drift of one column of a report. */
export function col(d: DriftReport, name: string): ColumnDrift | undefined {
  return d.columns.find((c) => c.column === name);
}

/** One column's test, score and verdict, for a log line. */
export function describeDrift(d: DriftReport, name: string): string {
  const c = col(d, name);
  return c ? `${c.test} ${c.score.toFixed(3)}${c.drifted ? ' drifted' : ''}` : 'n/a';
}

/** Drift of the clean and of the injected windows against the training profile, each logged. */
export function driftOfStreams(
  profile: Parameters<typeof detectDrift>[0],
  replayed: readonly ReplayedWindow[],
  names: readonly string[],
  kept: readonly string[],
  injected: { shifted: string; stuck: string },
): { live: DriftReport; shifted: DriftReport } {
  const of = (windows: readonly ReplayedWindow[]) =>
    detectDrift(profile, {
      ...pick(
        concatFrames(
          names,
          windows.map((r) => r.frame),
        ),
        kept,
      ),
      fail_score: windows.flatMap((r) => r.scores),
    });
  const live = of(replayed.filter((r) => !r.injected));
  const shifted = of(replayed.filter((r) => r.injected));
  for (const [name, rep] of [
    ['clean windows', live],
    ['injected windows', shifted],
  ] as const) {
    log('drift', name, {
      drifted_sensors: `${rep.dataset.driftedColumns}/${rep.dataset.columns}`,
      [injected.shifted]: describeDrift(rep, injected.shifted),
      [injected.stuck]: describeDrift(rep, injected.stuck),
      fail_score: describeDrift(rep, 'fail_score'),
    });
  }
  return { live, shifted };
}

/** Estimated (before labels) vs realized (after feedback) accuracy over the clean and the injected windows, logged. */
export function estimatesOfStreams(
  replayed: readonly ReplayedWindow[],
  windows: readonly WindowResult[],
  threshold: number,
  classes: readonly (string | number)[],
  calibrator: Calibrator | undefined,
): EstimateRow[] {
  const estimates: EstimateRow[] = [];
  for (const [stream, injectedPart] of [
    ['replayed test runs, clean windows', false],
    ['replayed test runs, sensor drift injected', true],
  ] as const) {
    const parts = replayed.filter((p) => p.injected === injectedPart);
    const part = windows.filter((w) => w.injected === injectedPart);
    if (parts.length === 0) continue;
    const est = estimateAccuracy(
      parts.flatMap((p) => p.scores),
      threshold,
      classes,
      calibrator,
    );
    const labelled = part.reduce((a, w) => a + w.labelled, 0);
    const realized = part.reduce((a, w) => a + w.accuracy * w.labelled, 0) / Math.max(1, labelled);
    const row = { stream, n: est.n, estimated: est.estimate, lower: est.lower, upper: est.upper, realized };
    estimates.push(row);
    log('estimate', `${stream}: accuracy estimated before labels vs realized after feedback`, {
      runs: row.n,
      estimated: row.estimated,
      interval: `${row.lower.toFixed(3)}-${row.upper.toFixed(3)}`,
      realized: row.realized,
      gap: row.estimated - row.realized,
      calibrated: calibrator ? calibrator.method : 'no calibrator',
    });
  }
  return estimates;
}
